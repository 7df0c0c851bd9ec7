/**
 * Real Chromium against a node:http server whose answers the test scripts: a plain 503, the
 * server's busy answer (200, `retry:`, `event: sse-busy`, end), a real stream from sse-actors, a
 * restart of the server on the same port, and the answers that stop a client (204, 401, 403).
 * The client comes back by itself, with waits that stay within the backoff bounds and vary.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import type { Browser, Page } from 'playwright-core';
import { createSystem, type SseSystem } from '../../src/index.ts';
import { launchChromium, until } from '../helpers/chromium.ts';
import { CLIENT_PAGE, CLIENT_PATH, clientBundle, openStream, pageLog, startClientServer, waitForMessages, waitForState, type ClientGlobals } from '../helpers/client-page.ts';

let browser: Browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
});

const BUSY = 'retry: 300\nevent: sse-busy\ndata: {"reason":"full"}\n\n';

/** A scripted answer for `/stream` request number `n` (1-based), or undefined to stream from `system`. */
type Script = (n: number, res: http.ServerResponse) => boolean;

interface Scripted {
  requests: Array<{ at: number; lastEventId: string | undefined }>;
  port: number;
  origin: string;
  /** Closes the server (and every connection), as a process that stops. */
  stop(): Promise<void>;
  /** Listens again on the same port, streaming from `system`. */
  start(system: SseSystem): Promise<void>;
}

async function scripted(t: ExecutionContext, system: SseSystem, script: Script): Promise<Scripted> {
  const bundle = await clientBundle();
  const requests: Scripted['requests'] = [];
  let current = system;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(CLIENT_PAGE);
    if (req.url === CLIENT_PATH) return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(bundle);
    if (req.url !== '/stream') return res.writeHead(404).end(); // the browser asks for /favicon.ico too
    requests.push({ at: performance.now(), lastEventId: req.headers['last-event-id'] as string | undefined });
    if (!script(requests.length, res)) current.stream(req, res, ['prices'], { data: 'hello' });
  };
  let server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const stop = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.teardown(stop);
  return {
    requests,
    port,
    origin: `http://127.0.0.1:${port}`,
    stop,
    start: async (next) => {
      current = next;
      server = http.createServer(handler);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
  };
}

async function newPage(t: ExecutionContext, origin: string): Promise<Page> {
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  return page;
}

const newSystem = (t: ExecutionContext) => {
  const system = createSystem({ topics: ['prices'], keepAlive: 0 });
  t.teardown(() => system.stop({ timeoutMs: 500 }));
  return system;
};

test.serial('503, then busy, then a stream; the server restarts and the client comes back by itself with bounded, jittered waits', async (t) => {
  const system = newSystem(t);
  const server = await scripted(t, system, (n, res) => {
    if (n === 1) res.writeHead(503, { 'Retry-After': '1' }).end('Service Unavailable');
    else if (n === 2) res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end(BUSY);
    return n <= 2;
  });
  const page = await newPage(t, server.origin);
  await openStream(page, '/stream', { transport: 'fetch', backoff: { minMs: 50, maxMs: 400 } });
  await waitForMessages(page, 1);
  await until('the stream to subscribe', () => system.snapshot().connections[0]?.state === 'streaming');
  system.notify({ id: 'e1', topic: 'prices', data: { data: 'one' } });
  await waitForMessages(page, 2);

  let log = await pageLog(page);
  t.deepEqual(log.notices, ['busy:full']);
  t.deepEqual(log.messages, ['message::hello', 'message:e1:one']);
  const [after503, afterBusy] = log.errors;
  t.like(after503, { status: 503, readyState: 0, state: 'retrying' });
  t.true((after503?.retryMs ?? 0) >= 50 && (after503?.retryMs ?? 0) <= 100, `first wait ${after503?.retryMs} ms is within [50, 100]`);
  t.like(afterBusy, { status: null, readyState: 0, state: 'retrying' });
  t.true((afterBusy?.retryMs ?? 0) >= 300, `after busy: ${afterBusy?.retryMs} ms, not below its retry: 300`);
  const at = server.requests.map((r) => r.at);
  t.true((at[2] ?? 0) - (at[1] ?? 0) >= 300, 'the third request came no sooner than the busy answer’s retry');

  // The server goes away: every attempt fails until it is back on the same port.
  const before = log.errors.length;
  await server.stop();
  await system.stop({ timeoutMs: 500 });
  await page.waitForFunction((n) => (globalThis as unknown as ClientGlobals).pageLog().errors.length >= n, before + 5, { timeout: 15_000 });
  const restarted = newSystem(t);
  await server.start(restarted);
  await waitForState(page, 'open', 15_000);
  await page.waitForFunction(() => (globalThis as unknown as ClientGlobals).pageLog().notices.length === 2, undefined, { timeout: 15_000 });

  log = await pageLog(page);
  const down = log.errors.slice(before);
  // Failure n (counted from the drop) waits a random time between lo and hi: lo is the busy
  // answer's retry: 300 (it stays the floor, as EventSource keeps a retry:), hi doubles from minMs to maxMs.
  const hi = (n: number) => Math.max(300, Math.min(400, 50 * 2 ** n));
  const waits = down.map((e) => e.retryMs ?? -1);
  waits.forEach((ms, i) => t.true(ms >= 300 && ms <= hi(i + 1), `wait ${i + 1}: ${ms} ms`));
  t.true(waits.some((ms, i) => ms < hi(i + 1)), `jittered, not fixed: ${waits.join(', ')}`);
  t.log(`waits while the server was down: ${waits.join(', ')} ms`);
  // The restarted server has no history: it says so, and the client passes it on.
  t.deepEqual(log.notices, ['busy:full', 'reset:unknown-id']);
  t.is(server.requests.at(-1)?.lastEventId, 'e1');
  t.is(log.messages.at(-1), 'message:e1:hello');
});

for (const status of [204, 401, 403]) {
  for (const transport of ['eventsource', 'fetch'] as const) {
    test.serial(`${transport}: ${status} stops the stream with an error carrying the status`, async (t) => {
      const server = await scripted(t, newSystem(t), (_n, res) => {
        res.writeHead(status).end();
        return true;
      });
      const page = await newPage(t, server.origin);
      await openStream(page, '/stream', { transport, backoff: { minMs: 10, maxMs: 20 } });
      await waitForState(page, 'closed');
      const log = await pageLog(page);
      t.deepEqual(log.errors, [{ status, retryMs: null, readyState: 2, state: 'closed' }]);
      t.deepEqual(log.states, ['closed']);
      // The native EventSource does not tell the status: one fetch of the same URL learns it.
      t.is(server.requests.length, transport === 'eventsource' ? 2 : 1);
    });
  }
}

test.serial('eventsource: a 503 is retried with backoff (the browser’s own EventSource would stop for good)', async (t) => {
  const server = await scripted(t, newSystem(t), (n, res) => {
    if (n <= 2) res.writeHead(503).end('Service Unavailable');
    return n <= 2;
  });
  const page = await newPage(t, server.origin);
  await openStream(page, '/stream', { backoff: { minMs: 10, maxMs: 20 } });
  await waitForMessages(page, 1);
  const log = await pageLog(page);
  t.deepEqual(log.messages, ['message::hello']);
  t.deepEqual(log.errors.map((e) => [e.status, e.state]), [[503, 'retrying']]);
  // The EventSource, the probe that learned 503, then the new EventSource.
  t.is(server.requests.length, 3);
});

test.serial('eventsource: the busy answer fires busy, and the browser’s EventSource comes back after its retry:', async (t) => {
  const server = await scripted(t, newSystem(t), (n, res) => {
    if (n === 1) res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end(BUSY);
    return n === 1;
  });
  const page = await newPage(t, server.origin);
  await openStream(page, '/stream', { backoff: { minMs: 10, maxMs: 20 } });
  await waitForMessages(page, 1);
  const log = await pageLog(page);
  t.deepEqual(log.notices, ['busy:full']);
  t.deepEqual(log.messages, ['message::hello']);
  t.is(server.requests.length, 2);
  const [first, second] = server.requests;
  t.true((second?.at ?? 0) - (first?.at ?? 0) >= 300, 'not before the busy answer’s retry: 300');
});

for (const transport of ['eventsource', 'fetch'] as const) {
  test.serial(`${transport}: sse-actors' own busy answer (maxConnections reached): busy, then in once a place is free`, async (t) => {
    const { system, origin, requests } = await startClientServer(t, { initial: 'hello', system: { maxConnections: 1, busyRetry: { baseMs: 200, jitterMs: 100 } } });
    // Another browser holds the only place (share only works within one browser context).
    const holder = await newPage(t, origin);
    await openStream(holder, '/stream?topics=prices', { transport });
    await waitForMessages(holder, 1);
    const page = await newPage(t, origin);
    await openStream(page, '/stream?topics=prices', { transport, backoff: { minMs: 10, maxMs: 20 } });
    await page.waitForFunction(() => (globalThis as unknown as ClientGlobals).pageLog().notices.length === 1, undefined, { timeout: 10_000 });
    await holder.evaluate(() => (globalThis as unknown as ClientGlobals).stream?.close());
    await waitForMessages(page, 1);
    const log = await pageLog(page);
    t.deepEqual(log.notices.slice(0, 1), ['busy:full']);
    t.deepEqual(log.messages, ['message::hello']);
    t.true(requests.length >= 3);
    await until('the one stream', () => system.snapshot().connections.length === 1);
  });
}
