/**
 * Real-browser test: a page streams from node A (its own process) as a user; `system.disconnect({ user })`
 * called on node B (another process, same Redis) ends the page's stream on A.
 * Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it).
 */
import test from 'ava';
import type { Browser } from 'playwright-core';
import { launchChromium, WAIT } from '../helpers/chromium.ts';
import { PresenceNode } from '../helpers/presence-nodes.ts';
import { deleteKeys } from '../helpers/redis-keys.ts';

let browser: Browser | undefined;
test.before(async () => {
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
});

test('system.disconnect({ user }) on node B ends the stream of a page on node A', async (t) => {
  const prefix = `presence-browser:${process.pid}:`;
  const started = await Promise.allSettled(['A', 'B'].map((name) => PresenceNode.start({ REDIS_URL: 'redis://127.0.0.1:6379', PREFIX: prefix, NODE: name })));
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  t.teardown(async () => {
    await Promise.all(nodes.map((node) => node.kill('SIGKILL')));
    await deleteKeys(6379, prefix);
  });
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const [a, b] = nodes as [PresenceNode, PresenceNode];
  const page = await (browser as Browser).newPage();
  t.teardown(() => page.close());
  await page.goto(`${a.url}/page?user=ada`);
  await page.waitForFunction(() => (globalThis as unknown as { seen: string[] }).seen.includes('open'), undefined, WAIT);
  const connections = async (): Promise<number> => (await b.call<{ connections: number }>('occupancy', 'room.a')).connections;
  await poll(async () => (await connections()) === 1, 'node B to see ada (through Redis)');
  t.is(await b.call('disconnect', { user: 'ada', reconnect: false }), 1);
  await page.waitForFunction(() => (globalThis as unknown as { seen: string[] }).seen.some((entry) => entry.startsWith('error:')), undefined, WAIT);
  await poll(async () => (await connections()) === 0, 'ada gone from room.a');
  t.pass();
});

async function poll(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // a poll interval, bounded by the deadline
  }
}
