/**
 * Findings 1 and 2 of issue 17, in Chromium: a page turned away (full, stopping) must come back by
 * itself. An EventSource stops for good on anything but `200 text/event-stream`; the busy answer
 * is a 200 that ends, so the browser reconnects after its jittered `retry:`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import Koa from 'koa';
import type { Browser, Page } from 'playwright-core';
import { createSystem, sse, type SseSystem } from '../../src/index.ts';
import { launchChromium, until, WAIT } from '../helpers/chromium.ts';

/** Per source: what it saw, in order (`open`, `message:<data>`, `sse-busy:<data>`, `error:<readyState>`). */
interface PageGlobals {
  seen: Record<string, string[]>;
  sources: Record<string, { readyState: number; close(): void }>;
  open(name: string, url: string): void;
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<script>
  window.seen = {};
  window.sources = {};
  window.open = (name, url) => {
    const es = new EventSource(url);
    const log = (window.seen[name] = []);
    window.sources[name] = es;
    es.onopen = () => log.push('open');
    es.onmessage = (e) => log.push('message:' + e.data);
    es.addEventListener('sse-busy', (e) => log.push('sse-busy:' + e.data));
    es.onerror = () => log.push('error:' + es.readyState);
  };
</script>`;

let browser: Browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
});

/** Koa on port 0: `/` the page, `/events` streams topic `t` from whichever system `current()` returns. */
async function serve(t: ExecutionContext, current: () => SseSystem): Promise<{ origin: string; requests: () => number }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
    if (req.url !== '/events') return void res.writeHead(404).end(); // the browser's favicon request
    requests += 1;
    const app = new Koa();
    app.silent = true;
    app.use(sse(current())).use((ctx) => ctx.sse('t'));
    void app.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

async function page(t: ExecutionContext, origin: string): Promise<Page> {
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const p = await context.newPage();
  await p.goto(`${origin}/`);
  return p;
}

const open = (p: Page, name: string, url: string) => p.evaluate(([n, u]) => (globalThis as unknown as PageGlobals).open(n as string, u as string), [name, url]);
const seen = (p: Page, name: string) => p.evaluate((n) => (globalThis as unknown as PageGlobals).seen[n] ?? [], name);
const waitSeen = (p: Page, name: string, entry: string, count = 1) =>
  p.waitForFunction(([n, e, c]) => ((globalThis as unknown as PageGlobals).seen[n as string] ?? []).filter((x) => x === e).length >= (c as number), [name, entry, count], WAIT);
const subscribers = (system: SseSystem) => system.snapshot().topics[0]?.subscribers ?? 0;

test.serial('finding 1: a page turned away by a full server comes back by itself once a place frees', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0, maxConnections: 1, busyRetry: { baseMs: 50, jitterMs: 50 } });
  t.teardown(() => system.stop({ timeoutMs: 1000 }));
  const { origin } = await serve(t, () => system);
  const p = await page(t, origin);
  await open(p, 'first', '/events');
  await waitSeen(p, 'first', 'open');
  await open(p, 'second', '/events');
  // Turned away twice or more: each time the 200 opens, the busy event comes, the stream ends and
  // the browser is CONNECTING again (error, readyState 0), never CLOSED (2).
  await waitSeen(p, 'second', 'sse-busy:{"reason":"full"}', 2);
  t.true(system.snapshot().counters.busyFull >= 2);
  await p.evaluate(() => (globalThis as unknown as PageGlobals).sources.first?.close());
  await waitSeen(p, 'second', 'open');
  await until('the second page to subscribe', () => subscribers(system) === 1);
  system.notify({ id: 1, topic: 't', data: { data: 'welcome back' } });
  await waitSeen(p, 'second', 'message:welcome back');
  const log = await seen(p, 'second');
  t.false(log.includes('error:2'), log.join(' '));
  const busy = log.filter((x) => x.startsWith('sse-busy')).length;
  t.deepEqual(log.slice(0, busy * 3), Array.from({ length: busy }, () => ['open', 'sse-busy:{"reason":"full"}', 'error:0']).flat());
  t.deepEqual(log.slice(busy * 3), ['open', 'message:welcome back']);
  t.is(await p.evaluate(() => (globalThis as unknown as PageGlobals).sources.second?.readyState), 1);
});

test.serial('finding 2: a page whose reconnection lands on a stopping process keeps trying and ends up on the next one', async (t) => {
  const a = createSystem({ topics: ['t'], keepAlive: 0, retry: 50, busyRetry: { baseMs: 50, jitterMs: 50 } });
  const b = createSystem({ topics: ['t'], keepAlive: 0 });
  t.teardown(() => Promise.all([a.stop({ timeoutMs: 1000 }), b.stop({ timeoutMs: 1000 })]).then(() => undefined));
  let current = a;
  const { origin } = await serve(t, () => current);
  const p = await page(t, origin);
  await open(p, 'page', '/events');
  await waitSeen(p, 'page', 'open');
  await until('the page to subscribe on A', () => subscribers(a) === 1);
  a.notify({ id: 1, topic: 't', data: { data: 'from A' } });
  await waitSeen(p, 'page', 'message:from A');
  // A stops and keeps listening (a drain window behind a load balancer): reconnections land on it.
  await a.stop();
  await waitSeen(p, 'page', 'sse-busy:{"reason":"stopping"}', 2);
  current = b; // the next process takes the port
  await until('the page to subscribe on B', () => subscribers(b) === 1);
  b.notify({ id: 2, topic: 't', data: { data: 'from B' } });
  await waitSeen(p, 'page', 'message:from B');
  const log = await seen(p, 'page');
  t.false(log.includes('error:2'), log.join(' '));
  t.deepEqual(log.slice(0, 3), ['open', 'message:from A', 'error:0']);
  t.deepEqual(log.slice(-2), ['open', 'message:from B']);
  const busy = log.slice(3, -2);
  t.deepEqual(busy, Array.from({ length: busy.length / 3 }, () => ['open', 'sse-busy:{"reason":"stopping"}', 'error:0']).flat());
  t.is(a.snapshot().counters.busyStopping, log.filter((x) => x.startsWith('sse-busy')).length);
});
