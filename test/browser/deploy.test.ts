/**
 * A rolling deploy (docs/deploy.md) in Chromium, on the Redis transport: a page streams from
 * process A; A stops (system.stop(), what its SIGTERM handler does) and keeps listening, answering
 * busy, as behind a load balancer's grace period; then A exits and B listens on the same port.
 * Events notified throughout — before, while A drains, while no process listens, after — reach the
 * page exactly once and in order, and the page ends up on B with no code of its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import test from 'ava';
import type { Browser } from 'playwright-core';
import { createSystem, redisTransport } from '../../src/index.ts';
import { launchChromium, WAIT } from '../helpers/chromium.ts';
import { deleteKeys } from '../helpers/redis-keys.ts';

interface PageGlobals {
  got: string[];
  log: string[];
}

/** A deploy process (test/fixtures/deploy-node.ts), with its IPC messages. */
class DeployProcess {
  busy = 0;
  port = 0;
  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: { type: string; count?: number; port?: number }) => {
      if (message.type === 'busy') this.busy = message.count ?? 0;
      if (message.type === 'listening') this.port = message.port ?? 0;
    });
  }

  /** Boots a process (its transport ready, its history restored from Redis); it does not listen yet. */
  static boot(env: Record<string, string>): Promise<DeployProcess> {
    const child = fork(new URL('../fixtures/deploy-node.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`deploy node exited with ${String(code)} before it was ready`)));
      child.on('message', (message: { type: string }) => {
        if (message.type === 'ready') resolve(new DeployProcess(child));
      });
    });
  }

  /** Listens on `port` (0: any); resolves once it does. */
  listen(port: number): Promise<void> {
    this.child.send({ type: 'listen', port });
    return this.until(() => this.port !== 0);
  }

  /** Resolves once `condition` holds, checked on each message from the process. */
  until(condition: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.child.off('message', check);
        resolve();
      };
      this.child.on('message', check);
      check();
    });
  }

  exit(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ type: 'exit' });
    });
  }
}

let browser: Browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
});

test('rolling deploy on Redis: A stops and drains answering busy, exits; B takes the port; the page gets every event once, in order, and ends on B', async (t) => {
  const prefix = `deploy:${process.pid}:`;
  const env = { REDIS_URL: 'redis://127.0.0.1:6379', PREFIX: prefix, RETRY_MS: '100' };
  const notifier = createSystem({ topics: ['deploy'], transport: redisTransport({ url: env.REDIS_URL, prefix, blockMs: 200 }), node: 'notifier', keepAlive: 0 });
  await notifier.ready();
  const processes: DeployProcess[] = [];
  t.teardown(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await notifier.stop({ timeoutMs: 500 });
    await deleteKeys(6379, prefix);
  });
  let n = 0;
  const sent: string[] = [];
  const notify = async (phase: string, count: number) => {
    for (let k = 0; k < count; k++) {
      const id = `${(n += 1)}`;
      await notifier.notify({ id, topic: 'deploy', data: { data: phase } });
      sent.push(`${id}=${phase}`);
    }
  };

  // B boots beside A (as a new release does); it takes the port once A has exited.
  const [a, b] = await Promise.all([DeployProcess.boot({ ...env, NODE: 'A' }), DeployProcess.boot({ ...env, NODE: 'B' })]);
  processes.push(a, b);
  await a.listen(0);
  const page = await (await browser.newContext()).newPage();
  await page.goto(`http://127.0.0.1:${a.port}/`);
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).log.includes('open'), undefined, WAIT);
  // The page's stream subscribes as it opens; one event proves it (the notifier waits for nothing else).
  await notify('before', 1);
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).got.length === 1, undefined, WAIT);
  await notify('before', 4);

  a.child.send({ type: 'stop' });
  await notify('draining', 5);
  await a.until(() => a.busy >= 3); // the page came back to A three times and was told "busy, stopping"
  await notify('draining', 5);
  await a.exit();
  await notify('nobody-listens', 5);
  await b.listen(a.port);
  await notify('on-b', 5);

  await page.waitForFunction((count) => (globalThis as unknown as PageGlobals).got.length >= count, sent.length, WAIT);
  const { got, log } = await page.evaluate(() => {
    const { got, log } = globalThis as unknown as PageGlobals;
    return { got, log };
  });
  t.deepEqual(got, sent); // every event once, in order
  t.false(log.includes('error 2'), log.join(', '));
  t.is(log.filter((entry) => entry === 'busy {"reason":"stopping"}').length, a.busy);
  t.is(log.at(-1), 'open'); // on B, streaming
  t.is(b.port, a.port);
});
