import test from 'ava';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import { createSystem, type SseSystem } from '../../src/index.ts';
import { eventually, parseFrames } from '../helpers/sse-client.ts';

const decoder = new TextDecoder();

/** Reads a body until `until(text)` holds (or the body ends); returns the text and the reader, still open. */
async function readUntil(body: ReadableStream<Uint8Array>, until: (text: string) => boolean, timeoutMs = 10_000) {
  const reader = body.getReader();
  let text = '';
  const deadline = performance.now() + timeoutMs;
  while (!until(text)) {
    if (performance.now() > deadline) throw new Error(`timed out; read so far: ${JSON.stringify(text)}`);
    const { value, done } = await reader.read();
    if (done) return { text, reader, done: true };
    text += decoder.decode(value, { stream: true });
  }
  return { text, reader, done: false };
}

async function hono(system: SseSystem): Promise<{ url: string; server: ServerType }> {
  const app = new Hono();
  app.get('/events', (c) => system.response(c.req.raw, c.req.query('topic') ?? 'news', { data: 'welcome' }, { headers: { 'Access-Control-Allow-Origin': '*' } }));
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('system.response without a server: the Response streams the start, then live events, encoded as on every other stack', async (t) => {
  const system = createSystem({ topics: ['news'], keepAlive: 0 });
  const response = system.response(new Request('http://local/events'), 'news', { data: 'hi', id: 'start' });
  t.is(response.status, 200);
  t.is(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  t.is(response.headers.get('cache-control'), 'no-cache, no-transform');
  t.is(response.headers.get('x-accel-buffering'), 'no');
  t.is(response.headers.get('connection'), null);
  system.notify({ id: 1, topic: 'news', data: { data: 'one\ntwo', event: 'n' } });
  const { text, reader } = await readUntil(response.body as ReadableStream<Uint8Array>, (s) => s.includes('id: 1\n'));
  t.is(text, 'id: start\ndata: hi\n\nid: 1\nevent: n\ndata: one\ndata: two\n\n');
  t.is(system.snapshot().connections.length, 1);
  await reader.cancel(); // the client leaves
  await eventually(() => system.snapshot().connections.length === 0, 5000, 'the actor released');
  t.is(system.snapshot().admitting, 0);
  await system.stop();
});

test('system.response with Hono on @hono/node-server, Node fetch as the client: live events, then a reconnect with Last-Event-ID replays exactly what was missed', async (t) => {
  const system = createSystem({ topics: ['news'], keepAlive: 0 });
  const { url, server } = await hono(system);
  try {
    const first = await fetch(`${url}/events`);
    t.is(first.status, 200);
    t.is(first.headers.get('access-control-allow-origin'), '*');
    await eventually(() => system.snapshot().connections.length === 1, 5000, 'one stream');
    for (let id = 1; id <= 3; id++) system.notify({ id, topic: 'news', data: { data: `e${id}` } });
    const a = await readUntil(first.body as ReadableStream<Uint8Array>, (s) => s.includes('id: 3\n'));
    t.deepEqual(parseFrames(a.text).map((f) => [f.id, f.data.join('\n')]), [[undefined, 'welcome'], ['1', 'e1'], ['2', 'e2'], ['3', 'e3']]);
    await a.reader.cancel();
    await eventually(() => system.snapshot().connections.length === 0, 5000, 'the first stream released');
    for (let id = 4; id <= 6; id++) system.notify({ id, topic: 'news', data: { data: `e${id}` } });
    const second = await fetch(`${url}/events`, { headers: { 'Last-Event-ID': '3' } });
    const b = await readUntil(second.body as ReadableStream<Uint8Array>, (s) => s.includes('id: 6\n'));
    t.deepEqual(parseFrames(b.text).map((f) => [f.id, f.data.join('\n')]), [[undefined, 'welcome'], ['4', 'e4'], ['5', 'e5'], ['6', 'e6']]);
    system.notify({ id: 7, topic: 'news', data: { data: 'e7' } });
    const more = await b.reader.read();
    t.is(decoder.decode(more.value), 'id: 7\ndata: e7\n\n');
    await b.reader.cancel();
    await eventually(() => system.snapshot().connections.length === 0, 5000, 'released');
  } finally {
    await system.stop();
    server.close();
  }
});

test('system.response: a client that stops reading is pushed back through the body, and the mailbox policy ends its stream', async (t) => {
  const system = createSystem({ topics: ['news'], keepAlive: 0, history: { size: 0, ttlMs: 0 }, mailbox: { limit: 8, overflow: 'close' } });
  const { url, server } = await hono(system);
  try {
    const response = await fetch(`${url}/events`);
    const start = await readUntil(response.body as ReadableStream<Uint8Array>, (s) => s.includes('welcome'));
    t.true(start.text.includes('data: welcome'));
    // Stop reading. Notify big events, one turn at a time, until the stream is pushed back and overflows.
    const big = 'x'.repeat(64 * 1024);
    let id = 0;
    await eventually(() => {
      if (system.snapshot().counters.overflowClosed === 0 && id < 5000) system.notify({ id: ++id, topic: 'news', data: { data: big } });
      return system.snapshot().counters.overflowClosed === 1;
    }, 20_000, 'the overflow policy to close the stream');
    t.is(system.snapshot().counters.overflowClosed, 1);
    await start.reader.cancel().catch(() => undefined);
    await eventually(() => system.snapshot().connections.length === 0, 10_000, 'released');
  } finally {
    await system.stop();
    server.close();
  }
});

test('system.response: bad input throws before anything is made, and takes no place', (t) => {
  const system = createSystem({ topics: ['news'], maxConnections: 1 });
  t.throws(() => system.response(new Request('http://x/'), 'nope'), { name: 'UnknownTopicError' });
  t.throws(() => system.response(new Request('http://x/'), 'news', { data: 'x', event: 'a\nb' }), { name: 'InvalidChunkError' });
  t.throws(() => system.response(new Request('http://x/'), 'news', undefined, { highWaterMark: 0 }), { instanceOf: TypeError });
  t.is(system.snapshot().admitting, 0);
  const head = system.response(new Request('http://x/', { method: 'HEAD' }), 'news');
  t.is(head.status, 200);
  t.is(head.body, null);
  t.is(system.snapshot().connections.length, 0);
  const ok = system.response(new Request('http://x/'), 'news');
  t.is(ok.status, 200);
  t.throws(() => system.response(new Request('http://x/'), 'news'), { name: 'TooManyConnectionsError' });
  return system.stop();
});
