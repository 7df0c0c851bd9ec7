/**
 * The client in Node 20 (the fetch transport: no EventSource, no Web Locks, no storage) against
 * real servers on port 0: sse-actors' `system.stream`, and tiny node:http handlers that answer
 * exactly the bytes under test (busy, 503, stop statuses).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { BUSY_EVENT, CLOSE_EVENT, createSystem, RESET_EVENT } from '../../src/index.ts';
import { until } from '../helpers/chromium.ts';
import { loadClient, type ClientError, type ClientMessage, type NodeEventStream } from '../helpers/client-node.ts';

const client = await loadClient();
const { EventStream } = client;

interface Seen {
  log: string[];
  errors: Array<{ status: number | undefined; retryMs: number | undefined; readyState: number }>;
  notices: string[];
}

/** Records what the stream dispatches: `type:lastEventId:data` per message, and every error. */
function watch(stream: NodeEventStream): Seen {
  const seen: Seen = { log: [], errors: [], notices: [] };
  stream.onmessage = (message) => seen.log.push(`message:${message.lastEventId}:${message.data}`);
  stream.addEventListener('price', (message) => seen.log.push(`price:${(message as ClientMessage).lastEventId}:${(message as ClientMessage).data}`));
  stream.onerror = (event: ClientError) => seen.errors.push({ status: event.status, retryMs: event.retryMs, readyState: stream.readyState });
  for (const type of ['busy', 'reset'] as const) stream.addEventListener(type, (event) => seen.notices.push(`${type}:${(event as CustomEvent<{ reason: string }>).detail.reason}`));
  return seen;
}

/** A node:http server on 127.0.0.1:0 that records each request's Last-Event-ID; closed at teardown. */
async function serve(t: ExecutionContext, handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void) {
  const requests: Array<{ at: number; lastEventId: string | undefined; authorization: string | undefined }> = [];
  const server = http.createServer((req, res) => {
    requests.push({ at: performance.now(), lastEventId: req.headers['last-event-id'] as string | undefined, authorization: req.headers.authorization });
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { server, requests, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream` };
}

const open = (t: ExecutionContext, url: string, init: Record<string, unknown> = {}) => {
  const stream = new EventStream(url, { backoff: { minMs: 20, maxMs: 200 }, ...init });
  t.teardown(() => stream.close());
  return stream;
};

test('the wire names of the control events are the server’s', (t) => {
  t.is(client.RESET_EVENT, RESET_EVENT);
  t.is(client.BUSY_EVENT, BUSY_EVENT);
  t.is(client.CLOSE_EVENT, CLOSE_EVENT);
});

test('sse-close (system.disconnect with reconnect: false) closes the stream for good: readyState CLOSED, a close event with the reason, no second request', async (t) => {
  const system = createSystem({ topics: ['prices'], keepAlive: 0 });
  t.teardown(() => system.stop({ timeoutMs: 500 }));
  const { requests, url } = await serve(t, (req, res) => system.stream(req, res, ['prices'], undefined, { user: { id: 'u1' } }));
  const stream = open(t, url, { transport: 'fetch' });
  const closes: Array<{ reason: string; readyState: number }> = [];
  stream.addEventListener('close', (event) => closes.push({ reason: (event as CustomEvent<{ reason: string }>).detail.reason, readyState: stream.readyState }));
  await until('the stream to subscribe', () => system.snapshot().connections[0]?.state === 'streaming');
  t.is(await system.disconnect({ user: 'u1', reconnect: false }), 1);
  await until('the close', () => closes.length === 1);
  t.deepEqual(closes, [{ reason: 'disconnected', readyState: 2 }]);
  t.is(stream.readyState, 2);
  t.is(stream.state, 'closed');
  await until('the stream released', () => system.snapshot().connections.length === 0);
  t.is(requests.length, 1);
});

test('Node picks the fetch transport, shares nothing, and streams from system.stream; a dropped stream resumes with Last-Event-ID', async (t) => {
  const system = createSystem({ topics: ['prices'], keepAlive: 0 });
  t.teardown(() => system.stop({ timeoutMs: 500 }));
  const { server, requests, url } = await serve(t, (req, res) => system.stream(req, res, ['prices'], { data: 'hello' }));
  const stream = open(t, url, { headers: { Authorization: 'Bearer node' } });
  const seen = watch(stream);
  t.false(stream.withCredentials);
  t.true(stream.leader);

  await until('the initial chunk', () => seen.log.length === 1);
  t.is(stream.readyState, EventStream.OPEN);
  await until('the stream to subscribe', () => system.snapshot().connections[0]?.state === 'streaming');
  system.notify({ id: 'e1', topic: 'prices', data: { data: 'one' } });
  system.notify({ id: 'e2', topic: 'prices', data: { data: '1.08', event: 'price' } });
  await until('two events', () => seen.log.length === 3);

  server.closeAllConnections();
  await until('the drop', () => seen.errors.length === 1);
  system.notify({ id: 'e3', topic: 'prices', data: { data: 'missed' } });
  await until('the replay', () => seen.log.length === 5);
  system.notify({ id: 'e4', topic: 'prices', data: { data: 'live' } });
  await until('a live event', () => seen.log.length === 6);

  t.deepEqual(seen.log, ['message::hello', 'message:e1:one', 'price:e2:1.08', 'message:e2:hello', 'message:e3:missed', 'message:e4:live']);
  t.deepEqual(requests.map((r) => [r.lastEventId, r.authorization]), [[undefined, 'Bearer node'], ['e2', 'Bearer node']]);
  t.is(seen.errors[0]?.readyState, EventStream.CONNECTING);
  t.is(stream.lastEventId, 'e4');
  stream.close();
  t.is(stream.readyState, EventStream.CLOSED);
  await until('close() to reach the server', () => system.snapshot().connections.length === 0);
});

test('sse-reset reaches the reset listener with its reason (and still dispatches as the named event)', async (t) => {
  const system = createSystem({ topics: ['prices'], keepAlive: 0, history: { size: 1, ttlMs: 60_000 } });
  t.teardown(() => system.stop({ timeoutMs: 500 }));
  const { server, requests, url } = await serve(t, (req, res) => system.stream(req, res, ['prices']));
  const stream = open(t, url, { transport: 'fetch' });
  const seen = watch(stream);
  const named: string[] = [];
  stream.addEventListener('sse-reset', (message) => named.push((JSON.parse((message as ClientMessage).data) as { reason: string }).reason));
  await until('the stream to subscribe', () => system.snapshot().connections[0]?.state === 'streaming');
  system.notify({ id: 'e1', topic: 'prices', data: { data: 'one' } });
  await until('e1', () => seen.log.length === 1);

  // Away while two events pass through a history of one: e1 is no longer there to resume after.
  server.closeAllConnections();
  await until('the drop', () => seen.errors.length === 1);
  system.notify({ id: 'e2', topic: 'prices', data: { data: 'two' } });
  system.notify({ id: 'e3', topic: 'prices', data: { data: 'three' } });
  await until('the reset', () => seen.notices.length === 1);

  t.deepEqual(seen.notices, ['reset:unknown-id']);
  t.deepEqual(named, ['unknown-id']);
  t.deepEqual(seen.log, ['message:e1:one']);
  t.deepEqual(requests.map((r) => r.lastEventId), [undefined, 'e1']);
});

test('a busy answer fires busy with its reason and the reconnect waits at least its retry:', async (t) => {
  const { requests, url } = await serve(t, (_req, res, n) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    if (n === 1) res.end('retry: 300\nevent: sse-busy\ndata: {"reason":"full"}\n\n');
    else res.write('id: 1\ndata: in\n\n');
  });
  const stream = open(t, url, { transport: 'fetch' });
  const seen = watch(stream);
  await until('the second connection', () => seen.log.length === 1, 5000);
  t.deepEqual(seen.notices, ['busy:full']);
  t.deepEqual(seen.log, ['message:1:in']);
  t.is(seen.errors.length, 1);
  t.true((seen.errors[0]?.retryMs ?? 0) >= 300, `retryMs ${seen.errors[0]?.retryMs}`);
  const [first, second] = requests;
  t.true((second?.at ?? 0) - (first?.at ?? 0) >= 300, 'not before the retry');
  t.is(stream.readyState, EventStream.OPEN);
});

test('plain 503s are retried with growing, jittered, bounded waits; a 200 stream ends them', async (t) => {
  const { requests, url } = await serve(t, (_req, res, n) => {
    if (n <= 6) res.writeHead(503, { 'Retry-After': '1' }).end('busy');
    else res.writeHead(200, { 'Content-Type': 'text/event-stream' }).write('data: back\n\n');
  });
  const stream = open(t, url, { transport: 'fetch', backoff: { minMs: 10, maxMs: 80 } });
  const seen = watch(stream);
  await until('the stream after six 503s', () => seen.log.length === 1, 8000);
  t.deepEqual(seen.errors.map((e) => e.status), [503, 503, 503, 503, 503, 503]);
  const waits = seen.errors.map((e) => e.retryMs ?? -1);
  // Failure n waits between minMs and min(maxMs, minMs·2^n).
  waits.forEach((ms, i) => t.true(ms >= 10 && ms <= Math.min(80, 10 * 2 ** (i + 1)), `wait ${i + 1}: ${ms} ms`));
  t.is(requests.length, 7);
});

for (const status of [204, 401, 403, 404]) {
  test(`${status} stops the stream for good: error with the status, readyState CLOSED, no reconnect`, async (t) => {
    const { requests, url } = await serve(t, (_req, res) => res.writeHead(status).end());
    const stream = open(t, url, { transport: 'fetch' });
    const seen = watch(stream);
    const states: string[] = [];
    stream.addEventListener('statechange', () => states.push(stream.state));
    await until('the stop', () => seen.errors.length === 1);
    t.deepEqual(seen.errors, [{ status, retryMs: undefined, readyState: EventStream.CLOSED }]);
    t.deepEqual(states, ['closed']);
    t.is(requests.length, 1);
  });
}
