/**
 * Real-browser test: Chromium's own EventSource against a real Koa server using sse-actors.
 *
 * Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it); playwright-core only
 * drives it over CDP (no `npx playwright install`). Every wait is on a condition with a deadline:
 * the browser side through `page.waitForFunction`, the server side through events or `until()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import Koa from 'koa';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createSystem, sse, type SseSystem } from '../../src/index.ts';
import { launchChromium, until, WAIT } from '../helpers/chromium.ts';

const TOPICS = ['prices', 'news', 'other'];
const KEEP_ALIVE = ': keep-alive\n\n';

/** What the page records for one dispatched MessageEvent. */
interface Received {
  /** The listener that got it: `onmessage` → 'message', `addEventListener('price')` → 'price'. */
  listener: string;
  type: string;
  data: string;
  lastEventId: string;
}

/**
 * The globals the page script below defines (the test's tsconfig has no DOM lib). Functions given to
 * `page.evaluate` run in the page and cannot close over Node values, so each one casts `globalThis`.
 */
interface PageGlobals {
  received: Received[];
  /** 'open' and 'error:<readyState>' in the order the EventSource fired them. */
  lifecycle: string[];
  es: { readyState: number; close(): void } | undefined;
  connect(url: string): void;
}

/** Served at `/` so the EventSource is same-origin; plain JS, no build step. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>sse-actors browser test</title>
<script>
  window.received = [];
  window.lifecycle = [];
  window.es = undefined;
  window.connect = (url) => {
    const es = new EventSource(url);
    window.es = es;
    const record = (listener) => (e) =>
      window.received.push({ listener, type: e.type, data: e.data, lastEventId: e.lastEventId });
    es.onmessage = record('message');
    es.addEventListener('price', record('price'));
    es.onopen = () => window.lifecycle.push('open');
    es.onerror = () => window.lifecycle.push('error:' + es.readyState);
  };
</script>
`;

interface StreamRequest {
  url: string;
  lastEventId: string | undefined;
}

interface Harness {
  system: SseSystem;
  server: http.Server;
  origin: string;
  /** Every `/stream` request, with its `Last-Event-ID` header, recorded before `ctx.sse`. */
  requests: StreamRequest[];
  /** The bytes sse-actors wrote to each `/stream` response, in request order (a server-side tap). */
  written: string[];
}

let browser: Browser;

test.before(async () => {
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
});

/** A Koa app on 127.0.0.1:0: `/` is the page, `/stream?topics=a,b` the event stream. */
async function startServer(t: ExecutionContext, keepAlive: number, initial: { data: string; retry?: number }): Promise<Harness> {
  const system = createSystem({ topics: TOPICS, keepAlive });
  const requests: StreamRequest[] = [];
  const written: string[] = [];
  const app = new Koa();
  app.use(sse(system));
  app.use(async (ctx, next) => {
    if (ctx.path !== '/stream') return next();
    const header = ctx.headers['last-event-id'];
    requests.push({ url: ctx.url, lastEventId: Array.isArray(header) ? header.join(',') : header });
    const index = written.push('') - 1;
    const res = ctx.res;
    const write = res.write.bind(res) as (chunk: Buffer, cb: (error?: Error | null) => void) => boolean;
    res.write = ((chunk: Buffer, cb: (error?: Error | null) => void) => {
      written[index] += chunk.toString('utf8');
      return write(chunk, cb);
    }) as typeof res.write;
    ctx.sse(String(ctx.query.topics ?? '').split(','), initial);
  });
  app.use((ctx) => {
    if (ctx.path !== '/') return;
    ctx.type = 'html';
    ctx.body = PAGE;
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.teardown(async () => {
    await system.stop({ timeoutMs: 2000 });
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });
  return { system, server, origin: `http://127.0.0.1:${port}`, requests, written };
}

async function openPage(t: ExecutionContext, origin: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  return { context, page };
}

const connect = (page: Page, url: string) => page.evaluate((u) => (globalThis as unknown as PageGlobals).connect(u), url);
const received = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).received);
const lifecycle = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).lifecycle);
const readyState = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).es?.readyState);
const waitForReceived = (page: Page, n: number) => page.waitForFunction((count) => (globalThis as unknown as PageGlobals).received.length >= count, n, WAIT);

const subscribers = (system: SseSystem, topic: string) => system.snapshot().topics.find((entry) => entry.topic === topic)?.subscribers;

test.serial('initial chunk first, then events in order: ids, multi-line data, custom event type, comments dropped', async (t) => {
  const { system, origin, requests } = await startServer(t, 0, { data: 'hello' });
  const { page } = await openPage(t, origin);

  await connect(page, '/stream?topics=prices,news');
  await waitForReceived(page, 1);
  t.deepEqual(await received(page), [{ listener: 'message', type: 'message', data: 'hello', lastEventId: '' }]);
  await until('the stream to subscribe', () => subscribers(system, 'prices') === 1 && subscribers(system, 'news') === 1);

  system.notify({ id: 'e1', topic: 'prices', data: { data: 'one' } });
  system.notify({ id: 'e2', topic: 'news', data: { data: 'two', id: 'chunk-2' } });
  system.notify({ id: 3, topic: 'prices', data: { data: 'a\nb\r\nc' } });
  system.notify({ id: 'e4', topic: 'prices', data: { data: '1.0842', event: 'price' } });
  system.notify({ id: 'e5', topic: 'other', data: { data: 'not subscribed' } });
  system.notify({ id: 'e6', topic: 'prices', data: { data: 'with a comment', comment: 'ignored by browsers' } });
  system.notify({ id: 'e7', topic: 'news', data: { data: [], comment: 'comment only: no message' } });
  system.notify({ id: 'e8', topic: 'prices', data: { data: ['x', 'y\rz'] } });
  system.notify({ id: 'last', topic: 'prices', data: { data: 'sentinel' } });

  // The sentinel is last on the wire: once it is in, everything before it is too.
  await waitForReceived(page, 8);
  t.deepEqual(await received(page), [
    { listener: 'message', type: 'message', data: 'hello', lastEventId: '' },
    { listener: 'message', type: 'message', data: 'one', lastEventId: 'e1' },
    { listener: 'message', type: 'message', data: 'two', lastEventId: 'chunk-2' },
    { listener: 'message', type: 'message', data: 'a\nb\nc', lastEventId: '3' },
    { listener: 'price', type: 'price', data: '1.0842', lastEventId: 'e4' },
    { listener: 'message', type: 'message', data: 'with a comment', lastEventId: 'e6' },
    { listener: 'message', type: 'message', data: 'x\ny\nz', lastEventId: 'e8' },
    { listener: 'message', type: 'message', data: 'sentinel', lastEventId: 'last' },
  ]);
  t.deepEqual(await lifecycle(page), ['open']);
  t.deepEqual(requests, [{ url: '/stream?topics=prices,news', lastEventId: undefined }]);
});

test.serial('keep-alive comments dispatch nothing and the stream stays open', async (t) => {
  const { origin, written } = await startServer(t, 50, { data: 'hello' });
  const { page } = await openPage(t, origin);

  await connect(page, '/stream?topics=prices');
  await waitForReceived(page, 1);

  // A raw client on the same server and the same keep-alive wheel sees the comments on the wire.
  // The browser's stream has been idle for longer, so it is due at least as often.
  const raw = await new Promise<string>((resolve, reject) => {
    const req = http.get(`${origin}/stream?topics=prices`, (res) => {
      t.is(res.statusCode, 200);
      t.like(res.headers, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.split(KEEP_ALIVE).length - 1 >= 2) {
          req.destroy();
          resolve(text);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  // Exactly: the initial chunk, then nothing but keep-alive comments (at least two).
  t.true(raw.startsWith(`data: hello\n\n${KEEP_ALIVE}${KEEP_ALIVE}`), JSON.stringify(raw));
  t.is(raw.replaceAll(KEEP_ALIVE, ''), 'data: hello\n\n');
  // And the server-side tap shows the browser's own response got them too.
  const browserBytes = written[0] ?? '';
  t.true(browserBytes.startsWith(`data: hello\n\n${KEEP_ALIVE}${KEEP_ALIVE}`), JSON.stringify(browserBytes));
  t.is(browserBytes.replaceAll(KEEP_ALIVE, ''), 'data: hello\n\n');

  t.deepEqual(await received(page), [{ listener: 'message', type: 'message', data: 'hello', lastEventId: '' }]);
  t.is(await readyState(page), 1);
  t.deepEqual(await lifecycle(page), ['open']);
});

test.serial('the browser reconnects by itself with Last-Event-ID after the server drops the connection', async (t) => {
  const { system, server, origin, requests } = await startServer(t, 0, { data: 'hello', retry: 100 });
  const { page } = await openPage(t, origin);

  await connect(page, '/stream?topics=prices');
  await waitForReceived(page, 1);
  await until('the stream to subscribe', () => subscribers(system, 'prices') === 1);
  system.notify({ id: 'e1', topic: 'prices', data: { data: 'one' } });
  system.notify({ id: 'e2', topic: 'prices', data: { data: 'two', id: 'c2' } });
  await waitForReceived(page, 3);
  await until('c2 to be written', () => system.snapshot().connections[0]?.lastEventId === 'c2');
  const [first] = system.snapshot().connections;

  server.closeAllConnections();
  // Notified while the browser is away: the reconnect's Last-Event-ID (c2) makes the server replay it.
  system.notify({ id: 'e3', topic: 'prices', data: { data: 'missed' } });

  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).lifecycle.length >= 3 && (globalThis as unknown as PageGlobals).es?.readyState === 1, undefined, WAIT);
  t.deepEqual(await lifecycle(page), ['open', 'error:0', 'open']);
  t.deepEqual(requests, [
    { url: '/stream?topics=prices', lastEventId: undefined },
    { url: '/stream?topics=prices', lastEventId: 'c2' },
  ]);

  // The dropped connection is gone server-side; only the new one is subscribed.
  await until('the dropped connection to be removed', () => {
    const { connections } = system.snapshot();
    return connections.length === 1 && connections[0]?.id !== first?.id;
  });
  t.is(subscribers(system, 'prices'), 1);

  system.notify({ id: 'e4', topic: 'prices', data: { data: 'live' } });
  await waitForReceived(page, 6);
  t.deepEqual(await received(page), [
    { listener: 'message', type: 'message', data: 'hello', lastEventId: '' },
    { listener: 'message', type: 'message', data: 'one', lastEventId: 'e1' },
    { listener: 'message', type: 'message', data: 'two', lastEventId: 'c2' },
    // The initial chunk of the new stream has no id: the browser keeps its last event id.
    { listener: 'message', type: 'message', data: 'hello', lastEventId: 'c2' },
    { listener: 'message', type: 'message', data: 'missed', lastEventId: 'e3' },
    { listener: 'message', type: 'message', data: 'live', lastEventId: 'e4' },
  ]);
});

test.serial('closing the EventSource or the page removes the connection server-side', async (t) => {
  const { system, origin } = await startServer(t, 0, { data: 'hello' });
  const a = await openPage(t, origin);
  const b = await openPage(t, origin);

  await connect(a.page, '/stream?topics=prices');
  await connect(b.page, '/stream?topics=prices,news');
  await waitForReceived(a.page, 1);
  await waitForReceived(b.page, 1);
  await until('two subscribed connections', () => system.snapshot().connections.length === 2 && subscribers(system, 'prices') === 2);
  const bId = system.snapshot().connections.find((c) => c.topics.length === 2)?.id;
  t.truthy(bId);

  await a.page.evaluate(() => (globalThis as unknown as PageGlobals).es?.close());
  t.is(await readyState(a.page), 2);
  await until('es.close() to reach the server', () => system.snapshot().connections.length === 1);
  const left = system.snapshot();
  t.deepEqual(
    left.connections.map((c) => ({ id: c.id, state: c.state, topics: c.topics })),
    [{ id: bId, state: 'streaming', topics: ['prices', 'news'] }],
  );
  t.deepEqual(left.topics, [
    { topic: 'prices', subscribers: 1, history: 0 },
    { topic: 'news', subscribers: 1, history: 0 },
    { topic: 'other', subscribers: 0, history: 0 },
  ]);

  await b.page.close();
  await until('page.close() to reach the server', () => system.snapshot().connections.length === 0);
  t.deepEqual(system.snapshot().topics, [
    { topic: 'prices', subscribers: 0, history: 0 },
    { topic: 'news', subscribers: 0, history: 0 },
    { topic: 'other', subscribers: 0, history: 0 },
  ]);
});
