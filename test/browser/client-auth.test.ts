/**
 * Real Chromium: an `Authorization` header sent through the fetch transport reaches Koa's
 * `authorize`; a cookie goes cross-origin (the page and the stream on two ports) through the native
 * transport with `withCredentials`. (Two ports of one host, not 127.0.0.1 against localhost: those
 * are two sites, and Chromium's contexts here block third-party cookies even with SameSite=None.)
 */
import test from 'ava';
import type { Browser } from 'playwright-core';
import { launchChromium, until } from '../helpers/chromium.ts';
import { openStream, pageLog, startClientServer, streamOf, waitForMessages, waitForState } from '../helpers/client-page.ts';

let browser: Browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
});

test.serial('fetch transport: the Authorization header reaches Koa’s authorize; a wrong token stops the stream with 403', async (t) => {
  const { system, origin, requests } = await startClientServer(t, {
    initial: 'hello',
    authorize: (ctx) => ctx.get('authorization') === 'Bearer good',
  });
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const good = await context.newPage();
  await good.goto(`${origin}/`);
  await openStream(good, '/stream?topics=prices', { headers: { Authorization: 'Bearer good' } });
  await waitForMessages(good, 1);
  await until('the stream to subscribe', () => system.snapshot().connections[0]?.state === 'streaming');
  system.notify({ id: 'a1', topic: 'prices', data: { data: 'for the authorized' } });
  await waitForMessages(good, 2);
  t.deepEqual((await pageLog(good)).messages, ['message::hello', 'message:a1:for the authorized']);

  // Another token is another stream (tabs share only streams opened with the same options).
  const bad = await context.newPage();
  await bad.goto(`${origin}/`);
  await openStream(bad, '/stream?topics=prices', { headers: { Authorization: 'Bearer bad' } });
  await waitForState(bad, 'closed');
  t.deepEqual((await pageLog(bad)).errors, [{ status: 403, retryMs: null, readyState: 2, state: 'closed' }]);
  t.deepEqual(requests.map((r) => r.authorization), ['Bearer good', 'Bearer bad']);
  t.is(system.snapshot().connections.length, 1);
});

test.serial('native transport, cross-origin with credentials: the stream’s origin gets its cookie', async (t) => {
  const page = await startClientServer(t);
  const stream = await startClientServer(t, {
    initial: 'hello',
    cors: page.origin,
    authorize: (ctx) => ctx.cookies.get('sid') === 's1',
  });
  const context = await browser.newContext();
  t.teardown(() => context.close());
  await context.addCookies([{ name: 'sid', value: 's1', url: stream.origin }]);
  const tab = await context.newPage();
  await tab.goto(`${page.origin}/`);
  t.not(new URL(page.origin).origin, new URL(stream.origin).origin);
  await openStream(tab, `${stream.origin}/stream?topics=prices`, { withCredentials: true });
  await waitForMessages(tab, 1);
  t.deepEqual((await pageLog(tab)).messages, ['message::hello']);
  t.like(await streamOf(tab), { readyState: 1, state: 'open' });
  t.deepEqual(stream.requests.map((r) => r.cookie), ['sid=s1']);
  t.is(await tab.evaluate(() => (globalThis as unknown as { stream: { withCredentials: boolean } }).stream.withCredentials), true);

  // Without withCredentials the cookie stays home: authorize refuses, and the 403 (sent without CORS
  // headers, as Koa's error answer drops them) is hidden from the page, so the client retries.
  const other = await context.newPage();
  await other.goto(`${page.origin}/`);
  await openStream(other, `${stream.origin}/stream?topics=prices`, { backoff: { minMs: 5000, maxMs: 5000 } });
  await waitForState(other, 'retrying');
  // The EventSource's request, then the probe that tried to learn its status: neither had the cookie.
  t.deepEqual(stream.requests.map((r) => r.cookie), ['sid=s1', null, null]);
});
