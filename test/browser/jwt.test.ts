/**
 * Real Chromium, its own EventSource with `withCredentials`, against Koa with `jwtAuthorize`: the JWT
 * rides in the `sse_token` cookie (Mercure's scheme). A page streams as `sub`; its token expires, the
 * stream ends with a retry, and the cookie refreshed meanwhile lets it back in with Last-Event-ID
 * replay (exact ids: no gap, no duplicate); a forged token is answered 401, which closes the
 * EventSource for good. Every wait is a condition with a deadline.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import Koa from 'koa';
import { SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { createSystem, jwtAuthorize, sse, type SseSystem } from '../../src/index.ts';
import { launchChromium, until, WAIT } from '../helpers/chromium.ts';

const SECRET = new TextEncoder().encode('chromium-test-secret-at-least-32-bytes');
const FORGED = new TextEncoder().encode('not-the-servers-secret-at-least-32-bytes');

let browser: Browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
});

const PAGE = '<!doctype html><title>jwt</title><p>jwt</p>';
/** Opens the page's EventSource (a string: tsx would rename functions passed to evaluate). */
const OPEN = `(() => {
  window.log = { messages: [], lifecycle: [] };
  const es = new EventSource('/events', { withCredentials: true });
  window.es = es;
  es.onopen = () => window.log.lifecycle.push('open');
  es.onerror = () => window.log.lifecycle.push('error:' + es.readyState);
  es.onmessage = (m) => window.log.messages.push(m.lastEventId + ':' + m.data);
})()`;

interface Log {
  messages: string[];
  lifecycle: string[];
}
const log = (page: Page) => page.evaluate('window.log') as Promise<Log>;

interface Seen {
  cookie: string | undefined;
  lastEventId: string | undefined;
}

async function serve(t: ExecutionContext): Promise<{ origin: string; system: SseSystem; seen: Seen[] }> {
  const system = createSystem({ topics: ['room.*'], keepAlive: 0 });
  const seen: Seen[] = [];
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    if (ctx.path === '/') {
      ctx.type = 'html';
      ctx.body = PAGE;
      return;
    }
    if (ctx.path !== '/events') return void (ctx.status = 404); // the favicon, say
    seen.push({ cookie: ctx.cookies.get('sse_token'), lastEventId: ctx.get('last-event-id') || undefined });
    await next();
  });
  app.use(sse(system, { authorize: jwtAuthorize({ key: SECRET, algorithms: ['HS256'] }) }));
  app.use((ctx) => ctx.sse('room.lobby'));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await system.stop({ timeoutMs: 1000 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, system, seen };
}

function token(sub: string, exp: number, key = SECRET): Promise<string> {
  return new SignJWT({ sse: { subscribe: ['room.*'] } }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime(exp).sign(key);
}
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

test.serial('a page with a JWT cookie streams as its sub; the token expires, the refreshed cookie gets back in with replay: ids 1..5 once each', async (t) => {
  const { origin, system, seen } = await serve(t);
  const context = await browser.newContext();
  t.teardown(() => context.close());
  // Time enough to open the page and stream before exp, even on a loaded machine (3 s did not
  // always suffice in CI): the test then waits for exp.
  const exp = Math.floor(Date.now() / 1000) + 8;
  const first = await token('ada', exp);
  await context.addCookies([{ name: 'sse_token', value: first, url: origin, httpOnly: true, sameSite: 'Strict' }]);
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.evaluate(OPEN);
  await until('the stream', () => system.snapshot().connections[0]?.state === 'streaming');
  t.deepEqual(system.snapshot().connections[0]?.user, { id: 'ada' });
  system.notify({ id: 1, topic: 'room.lobby', data: { data: 'one' } });
  system.notify({ id: 2, topic: 'room.lobby', data: { data: 'two' } });
  await page.waitForFunction('window.log.messages.length === 2', undefined, WAIT);

  // The page refreshes its cookie before exp (here the test does, as the page's fetch('/sse-token') would).
  const refreshed = await token('ada', inAnHour());
  await context.addCookies([{ name: 'sse_token', value: refreshed, url: origin, httpOnly: true, sameSite: 'Strict' }]);
  // At exp the server ends the stream with a retry of at least a second: notify while it is away.
  await until('the stream to end at exp', () => system.snapshot().counters.lifetimeEnded === 1 && system.snapshot().connections.length === 0, 15_000);
  t.true(Date.now() >= exp * 1000, 'not before exp');
  system.notify({ id: 3, topic: 'room.lobby', data: { data: 'three' } });
  system.notify({ id: 4, topic: 'room.lobby', data: { data: 'four' } });
  await until('the browser to come back', () => system.snapshot().connections[0]?.state === 'streaming', 15_000);
  system.notify({ id: 5, topic: 'room.lobby', data: { data: 'five' } });
  await page.waitForFunction('window.log.messages.length >= 5', undefined, WAIT);

  const { messages, lifecycle } = await log(page);
  t.deepEqual(messages, ['1:one', '2:two', '3:three', '4:four', '5:five']);
  t.deepEqual(lifecycle, ['open', 'error:0', 'open']);
  t.deepEqual(seen, [
    { cookie: first, lastEventId: undefined },
    { cookie: refreshed, lastEventId: '2' },
  ]);
  t.is(system.snapshot().events.replayed, 2);
  t.deepEqual(system.snapshot().connections[0]?.user, { id: 'ada' });
});

test.serial('a forged token (signed with another key) is answered 401: the EventSource ends CLOSED and does not come back', async (t) => {
  const { origin, system, seen } = await serve(t);
  const context = await browser.newContext();
  t.teardown(() => context.close());
  await context.addCookies([{ name: 'sse_token', value: await token('mallory', inAnHour(), FORGED), url: origin }]);
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  const refused = page.waitForResponse((response) => response.url().endsWith('/events'), WAIT);
  await page.evaluate(OPEN);
  t.is((await refused).status(), 401);
  await page.waitForFunction('window.es.readyState === 2', undefined, WAIT);
  t.deepEqual(await log(page), { messages: [], lifecycle: ['error:2'] });
  t.is(seen.length, 1, 'one request: a 401 is not retried');
  t.is(system.snapshot().connections.length, 0);
  t.is(system.snapshot().admitting, 0);
});
