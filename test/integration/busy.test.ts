import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSystem, type SseSystem } from '../../src/index.ts';
import { RawClient, koaServer, plainServer, watchProcess } from '../hostile/raw.ts';

// A request that accepts text/event-stream and cannot stream right now gets 200, a jittered retry,
// `event: sse-busy` with the reason, and the end (Connection: close); any other request keeps 503.

const EVENT_SOURCE = 'GET /events?topics=a HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n';
const PLAIN = 'GET /events?topics=a HTTP/1.1\r\nHost: x\r\n\r\n';
const BUSY = /^retry: (\d+)\nevent: sse-busy\ndata: \{"reason":"(full|stopping|authorize-timeout)"\}\n\n$/;

/** The busy answer's reason and retry, after checking every other byte of it. */
function busyAnswer(t: { is(a: unknown, b: unknown): void; regex(a: string, b: RegExp): void }, client: RawClient): { reason: string; retry: number } {
  t.is(client.status, 200);
  t.is(client.header('content-type'), 'text/event-stream; charset=utf-8');
  t.is(client.header('connection'), 'close');
  t.regex(client.body, BUSY);
  const [, retry, reason] = BUSY.exec(client.body) as RegExpExecArray;
  return { reason: reason as string, retry: Number(retry) };
}

const adapters = {
  koa: (system: SseSystem) => koaServer(system),
  'system.stream': (system: SseSystem) => plainServer(system),
};

for (const [name, serve] of Object.entries(adapters)) {
  test(`${name}: full → an EventSource gets sse-busy "full" with a retry in [base, base + jitter], others 503 + Retry-After; counted`, async (t) => {
    const system = createSystem({ topics: ['a'], keepAlive: 0, maxConnections: 1, retry: 2000, busyRetry: { baseMs: 500, jitterMs: 100 } });
    const srv = await serve(system);
    t.teardown(srv.close);
    const first = new RawClient(srv.port, EVENT_SOURCE);
    await first.until((c) => c.body.includes('retry: 2000\n\n'));
    const busy = [0, 1, 2].map(() => new RawClient(srv.port, EVENT_SOURCE));
    await Promise.all(busy.map((c) => c.untilClosed()));
    for (const client of busy) {
      const { reason, retry } = busyAnswer(t, client);
      t.is(reason, 'full');
      t.true(retry >= 500 && retry <= 600, `retry ${retry}`);
    }
    const plain = new RawClient(srv.port, PLAIN);
    await plain.until((c) => c.status !== 0 && c.body.length > 0);
    t.is(plain.status, 503);
    // Koa sets the error's Retry-After; the plain server's own catch (the caller's code) does not.
    t.is(plain.header('retry-after'), name === 'koa' ? '2' : undefined);
    t.is(plain.body, 'Too many SSE connections: the limit is 1 (maxConnections); retry later');
    const { counters } = system.snapshot();
    t.deepEqual([counters.rejected, counters.busyFull, counters.busyStopping, counters.busyAuthorizeTimeout], [4, 3, 0, 0]);
    plain.destroy();
    first.destroy();
  });

  test(`${name}: stopped → an EventSource gets sse-busy "stopping", others 503`, async (t) => {
    const system = createSystem({ topics: ['a'], keepAlive: 0, busyRetry: { baseMs: 700, jitterMs: 0 } });
    const srv = await serve(system);
    t.teardown(() => new Promise<void>((resolve) => srv.server.close(() => resolve())));
    await system.stop();
    const late = new RawClient(srv.port, EVENT_SOURCE);
    await late.untilClosed();
    t.deepEqual(busyAnswer(t, late), { reason: 'stopping', retry: 700 });
    const plain = new RawClient(srv.port, PLAIN);
    await plain.until((c) => c.status !== 0 && c.body.length > 0);
    t.is(plain.status, 503);
    plain.destroy();
    t.is(system.snapshot().counters.busyStopping, 1);
  });
}

test('system.response: full → 200 sse-busy for an EventSource, TooManyConnectionsError thrown for anything else', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0, maxConnections: 1, busyRetry: { baseMs: 300, jitterMs: 0 } });
  t.teardown(() => system.stop());
  const accept = { accept: 'text/event-stream' };
  const first = system.response(new Request('http://x/e', { headers: accept }), 'a');
  const busy = system.response(new Request('http://x/e', { headers: accept }), 'a');
  t.is(busy.status, 200);
  t.is(busy.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  t.is(await busy.text(), 'retry: 300\nevent: sse-busy\ndata: {"reason":"full"}\n\n');
  t.throws(() => system.response(new Request('http://x/e'), 'a'), { name: 'TooManyConnectionsError' });
  await first.body?.cancel();
  t.is(system.snapshot().counters.busyFull, 1);
});

test('400 and 403 stay what they are for an EventSource', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0, maxConnections: 0 });
  const srv = await koaServer(system, { authorize: () => false });
  t.teardown(srv.close);
  const unknown = new RawClient(srv.port, 'GET /events?topics=nope HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n');
  await unknown.untilClosed();
  t.is(unknown.status, 400);
  // maxConnections: 0 is checked before authorize: full comes first, as busy.
  const full = new RawClient(srv.port, EVENT_SOURCE);
  await full.untilClosed();
  t.is(busyAnswer(t, full).reason, 'full');
  const system2 = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv2 = await koaServer(system2, { authorize: () => false });
  t.teardown(srv2.close);
  const forbidden = new RawClient(srv2.port, 'GET /events?topics=a HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n');
  await forbidden.untilClosed();
  t.is(forbidden.status, 403);
});

test('authorize never settles (finding 3): pending admissions count against maxConnections, time out busy, and stop() answers the rest and waits', async (t) => {
  const watch = watchProcess();
  t.teardown(watch.stop);
  const system = createSystem({ topics: ['a'], keepAlive: 0, maxConnections: 10, authorizeTimeoutMs: 60_000, busyRetry: { baseMs: 100, jitterMs: 0 } });
  const srv = await koaServer(system, { authorize: () => new Promise<boolean>(() => undefined) });
  const clients = Array.from({ length: 50 }, (_, i) => new RawClient(srv.port, i % 2 === 0 ? EVENT_SOURCE : PLAIN));
  // 10 hold a place while authorize waits; the other 40 are refused at once (20 busy, 20 503).
  const refused = () => clients.filter((c) => c.status !== 0).length;
  await new Promise<void>((resolve, reject) => {
    const check = () => (refused() === 40 && system.snapshot().admitting === 10 ? resolve() : undefined);
    for (const c of clients) void c.until((x) => x.status !== 0, 10_000).then(check, reject);
  });
  t.is(system.snapshot().admitting, 10);
  t.is(system.snapshot().counters.rejected, 40);
  const pending = clients.filter((c) => c.status === 0);
  await system.stop({ timeoutMs: 5000 });
  // stop() returned: every pending request was answered (busy "stopping" to EventSources, 503 to
  // the rest) and its place given back.
  t.is(system.snapshot().admitting, 0);
  for (const c of pending) {
    await c.until((x) => x.body.length > 0 && (x.status === 503 || x.closed));
    if (c.status === 200) t.is(busyAnswer(t, c).reason, 'stopping');
    else t.is(c.body, 'The SSE server is stopping; retry later');
  }
  t.is(system.snapshot().counters.busyStopping, pending.filter((c) => c.status === 200).length);
  for (const c of clients) c.destroy();
  await new Promise<void>((resolve) => srv.server.close(() => resolve()));
  t.deepEqual(watch.seen, []);
});

test('authorizeTimeoutMs: an authorize still pending is answered busy "authorize-timeout"; its late verdict changes nothing', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0, authorizeTimeoutMs: 50, busyRetry: { baseMs: 100, jitterMs: 0 } });
  let allow: (value: boolean) => void = () => undefined;
  const srv = await koaServer(system, { authorize: () => new Promise<boolean>((resolve) => (allow = resolve)) });
  t.teardown(srv.close);
  const client = new RawClient(srv.port, EVENT_SOURCE);
  await client.untilClosed();
  t.deepEqual(busyAnswer(t, client), { reason: 'authorize-timeout', retry: 100 });
  t.is(system.snapshot().admitting, 0);
  allow(true);
  await new Promise((resolve) => setImmediate(resolve));
  t.is(system.snapshot().connections.length, 0);
  t.deepEqual(srv.outcomes, [{ resolved: null }]);
  t.is(system.snapshot().counters.busyAuthorizeTimeout, 1);
});

test('a plain node:http server answers busy without any code of its own', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0, maxConnections: 0 });
  const server = http.createServer((req, res) => void system.stream(req, res, 'a'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = new RawClient((server.address() as AddressInfo).port, EVENT_SOURCE);
  await client.untilClosed();
  t.is(busyAnswer(t, client).reason, 'full');
  await system.stop();
});
