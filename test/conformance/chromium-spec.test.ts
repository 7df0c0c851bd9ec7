/**
 * Chromium's EventSource against sse-actors, the parts of the spec the basic browser test leaves
 * out: cross-origin streams (CORS, withCredentials), `retry:`, a 204 that stops reconnection, and
 * a reconnect to a restarted server. The page is served from one port, streams from another.
 * Waits are on conditions (in the page or on the server) with deadlines; nothing sleeps.
 */
import test, { type ExecutionContext } from 'ava';
import type { Browser, Page } from 'playwright-core';
import { createSystem, type SseSystem } from '../../src/index.ts';
import { chromiumVersion, launchChromium, until } from '../helpers/chromium.ts';
import { closeSource, happenings, messages, openCount, openSource, startPageServer, waitFor, waitForOpenCount, waitForState, type PageServer } from '../helpers/event-page.ts';
import { startStreamServer, TOPICS, type StreamServer } from './stream-server.ts';

let browser: Browser;
let pages: PageServer;

test.before(async () => {
  browser = await launchChromium();
  pages = await startPageServer();
});

test.after.always(async () => {
  await browser?.close();
  await pages?.close();
});

async function setup(t: ExecutionContext): Promise<{ system: SseSystem; streams: StreamServer; page: Page }> {
  const system = createSystem({ topics: TOPICS, keepAlive: 0 });
  const streams = await startStreamServer(system, pages.origin);
  t.teardown(() => streams.close());
  const context = await browser.newContext();
  t.teardown(() => context.close());
  // A cookie for the stream's host: only a credentialed request may carry it there.
  await context.addCookies([{ name: 'session', value: 's1', url: streams.origin }]);
  const page = await context.newPage();
  await page.goto(`${pages.origin}/`);
  return { system, streams, page };
}

const subscribers = (system: SseSystem) => system.snapshot().topics[0]?.subscribers ?? 0;

test.serial('cross-origin: Access-Control-Allow-Origin * streams without cookies; no header, or * with credentials, is refused', async (t) => {
  t.log(`Chromium ${chromiumVersion()}`);
  const { system, streams, page } = await setup(t);
  await openSource(page, 'star', `${streams.origin}/star`);
  await openSource(page, 'none', `${streams.origin}/none`);
  await openSource(page, 'star-credentials', `${streams.origin}/star`, true);

  await waitFor(page, 'star', 'message');
  await until('the cross-origin stream to subscribe', () => subscribers(system) >= 1);
  system.notify({ id: 'e1', topic: 't', data: { data: 'one' } });
  await waitFor(page, 'star', 'message', 2);
  t.deepEqual(await messages(page, 'star'), [':hello', 'e1:one']);

  // Refused by the browser: CLOSED after one error, nothing dispatched, no retry.
  await waitForState(page, 'none', 2);
  await waitForState(page, 'star-credentials', 2);
  for (const name of ['none', 'star-credentials']) t.deepEqual((await happenings(page, name)).map((h) => `${h.kind}:${h.readyState}`), ['error:2'], name);

  const seen = streams.requests.map((r) => ({ method: r.method, path: r.path, origin: r.origin, cookie: r.cookie }));
  t.is(seen.length, 3, 'one request each: no preflight, no retry');
  t.deepEqual(seen.filter((r) => r.cookie === undefined).length, 2, 'without withCredentials no cookie goes cross-origin');
  t.deepEqual(seen.find((r) => r.cookie !== undefined), { method: 'GET', path: '/star', origin: pages.origin, cookie: 'session=s1' });
  t.true(seen.every((r) => r.origin === pages.origin));
});

test.serial('withCredentials: the cookie goes along and the stream is read when the route allows credentials for the exact origin', async (t) => {
  const { system, streams, page } = await setup(t);
  await openSource(page, 'creds', `${streams.origin}/credentials`, true);
  await waitFor(page, 'creds', 'message');
  await until('the credentialed stream to subscribe', () => subscribers(system) === 1);
  system.notify({ id: 'e1', topic: 't', data: { data: 'one' } });
  await waitFor(page, 'creds', 'message', 2);
  t.deepEqual(await messages(page, 'creds'), [':hello', 'e1:one']);
  t.deepEqual(
    streams.requests.map((r) => ({ method: r.method, path: r.path, origin: r.origin, cookie: r.cookie })),
    [{ method: 'GET', path: '/credentials', origin: pages.origin, cookie: 'session=s1' }],
  );
});

/** ms between the first error and the next open, as the page measured them. */
async function reconnectDelay(page: Page, name: string): Promise<number> {
  const log = await happenings(page, name);
  const error = log.findIndex((h) => h.kind === 'error');
  const open = log.findIndex((h, i) => i > error && h.kind === 'open');
  return (log[open]?.at ?? Number.NaN) - (log[error]?.at ?? Number.NaN);
}

test.serial('retry: sets the reconnection delay (measured in the page)', async (t) => {
  const { streams, page } = await setup(t);
  await openSource(page, 'fast', `${streams.origin}/star?retry=200`);
  await openSource(page, 'slow', `${streams.origin}/star?retry=1500`);
  await waitFor(page, 'fast', 'message');
  await waitFor(page, 'slow', 'message');
  // Drop both connections from the server side, as a restart or a network cut would.
  for (const request of streams.requests) request.socket.destroy();
  await waitFor(page, 'fast', 'open', 2);
  await waitFor(page, 'slow', 'open', 2);
  const fast = await reconnectDelay(page, 'fast');
  const slow = await reconnectDelay(page, 'slow');
  t.log(`reconnect delay: retry 200 → ${fast.toFixed(1)} ms, retry 1500 → ${slow.toFixed(1)} ms`);
  // At least the retry value; the upper bounds leave room for a loaded machine and stay clear of
  // Chromium's ~3000 ms default, so the value sent is the one used.
  t.true(fast >= 200 && fast < 1200, `retry 200: ${fast} ms`);
  t.true(slow >= 1500 && slow < 2900, `retry 1500: ${slow} ms`);
  t.true(fast < slow);
  t.is(streams.requests.length, 4);
});

test.serial('a 204 answer stops reconnection for good, and so does a 503: readyState CLOSED and no further request', async (t) => {
  const { streams, page } = await setup(t);
  const urls = { gone204: '/gone?retry=50', gone503: '/gone?retry=50&status=503' };
  for (const [name, url] of Object.entries(urls)) await openSource(page, name, `${streams.origin}${url}`);
  // A control stream with the same retry: each of its reconnections proves that much time passed.
  await openSource(page, 'control', `${streams.origin}/star?retry=50`);
  for (const name of [...Object.keys(urls), 'control']) await waitFor(page, name, 'message');
  for (const request of streams.requests.filter((r) => r.path === '/gone')) request.socket.destroy();

  const requestsTo = (url: string) => streams.requests.filter((r) => r.url === url).length;
  for (const [name, url] of Object.entries(urls)) {
    await waitForState(page, name, 2);
    t.deepEqual((await happenings(page, name)).map((h) => `${h.kind}:${h.readyState}`), ['open:1', 'message:1', 'error:0', 'error:2'], name);
    t.is(requestsTo(url), 2, name);
  }

  // The deadline: the control stream reconnects 4 times, at least 4 × 50 ms, while /gone stays silent.
  for (let round = 1; round <= 4; round++) {
    const controls = streams.requests.filter((r) => r.path === '/star');
    controls.at(-1)?.socket.destroy();
    await waitFor(page, 'control', 'open', round + 1);
  }
  for (const [name, url] of Object.entries(urls)) {
    t.is(requestsTo(url), 2, `${name}: no request after the refusal`);
    t.is((await happenings(page, name)).length, 4, name);
  }
  t.is(streams.requests.filter((r) => r.path === '/star').length, 5);
});

test.serial('a stream ended by system.stop() reconnects to a restarted server and replays what was notified meanwhile', async (t) => {
  const first = createSystem({ topics: TOPICS, keepAlive: 0 });
  const before = await startStreamServer(first, pages.origin);
  t.teardown(() => before.close());
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${pages.origin}/`);

  await openSource(page, 'live', `${before.origin}/star?retry=100`);
  await waitFor(page, 'live', 'message');
  await until('the stream to subscribe', () => subscribers(first) === 1);
  first.notify({ id: 'e1', topic: 't', data: { data: 'one' } });
  first.notify({ id: 'e2', topic: 't', data: { data: 'two' } });
  await waitFor(page, 'live', 'message', 3);

  await before.close(); // system.stop() ends the stream gracefully, then the port is freed
  await waitFor(page, 'live', 'error');

  // The restart: a new system whose history is filled from the application's own log (e1, e2),
  // then events that happen while the browser is away, then the server on the same port.
  const second = createSystem({ topics: TOPICS, keepAlive: 0 });
  second.notify({ id: 'e1', topic: 't', data: { data: 'one' } });
  second.notify({ id: 'e2', topic: 't', data: { data: 'two' } });
  second.notify({ id: 'e3', topic: 't', data: { data: 'three' } });
  second.notify({ id: 'e4', topic: 't', data: { data: 'four' } });
  const after = await startStreamServer(second, pages.origin, before.port);
  t.teardown(() => after.close());

  await waitFor(page, 'live', 'message', 6);
  await until('the reconnected stream to subscribe', () => subscribers(second) === 1);
  second.notify({ id: 'e5', topic: 't', data: { data: 'five' } });
  await waitFor(page, 'live', 'message', 7);
  t.deepEqual(await messages(page, 'live'), [':hello', 'e1:one', 'e2:two', 'e2:hello', 'e3:three', 'e4:four', 'e5:five']);
  // Cross-origin with a Last-Event-ID header, and still no preflight: one GET.
  t.deepEqual(
    after.requests.map((r) => ({ method: r.method, path: r.path, origin: r.origin, lastEventId: r.lastEventId })),
    [{ method: 'GET', path: '/star', origin: pages.origin, lastEventId: 'e2' }],
  );
  t.is(before.requests.length, 1);
});

test.serial('HTTP/1.1: Chromium opens at most 6 streams per host; the 7th waits until one closes', async (t) => {
  const { streams, page } = await setup(t);
  for (let i = 1; i <= 7; i++) await openSource(page, `s${i}`, `${streams.origin}/star?n=${i}`);
  await waitForOpenCount(page, 6);
  // Each open stream is a request the server answered; the 7th never arrived.
  t.is(streams.requests.length, 6);
  t.is(await openCount(page), 6);

  // Which one waits is Chromium's choice (in practice the last opened): free the slot of another.
  const urlOf = (i: number) => `/star?n=${i}`;
  const waiting = [1, 2, 3, 4, 5, 6, 7].find((i) => !streams.requests.some((r) => r.url === urlOf(i))) ?? 0;
  const freed = waiting === 1 ? 2 : 1;
  const socket = streams.requests.find((r) => r.url === urlOf(freed))?.socket;
  if (!socket) throw new Error(`no request for stream ${freed}`);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  await closeSource(page, `s${freed}`);
  const closedAt = await closed;
  await waitFor(page, `s${waiting}`, 'open');
  t.is(await openCount(page), 6);
  t.is(streams.requests.length, 7);
  const late = streams.requests.find((r) => r.url === urlOf(waiting));
  t.true((late?.at ?? 0) >= closedAt, 'the waiting request came after a slot was freed');
  t.true(streams.requests.filter((r) => r !== late).every((r) => r.at < closedAt));
});
