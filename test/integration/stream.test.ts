import test from 'ava';
import http from 'node:http';
import { createSystem, SystemStoppedError, UnknownTopicError, InvalidChunkError } from '../../src/index.ts';
import { SseClient, startServer, eventually, get } from '../helpers/sse-client.ts';

const topics = ['rates.usd_eur', 'rates.usd_gbp', 'news'];

test('headers: event-stream, no-cache, no buffering, keep-alive on HTTP/1.1, route headers kept', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  // The client asks for a persistent connection (the helper's agent-less requests send `Connection: close`, which is respected).
  const client = await SseClient.connect(`${srv.url}/stream?topics=news&initial=hi`, { connection: 'keep-alive' });
  t.is(client.status, 200);
  const h = client.res.headers;
  t.is(h['content-type'], 'text/event-stream; charset=utf-8');
  t.is(h['cache-control'], 'no-cache, no-transform');
  t.is(h['x-accel-buffering'], 'no');
  t.is(h.connection, 'keep-alive');
  t.is(h['access-control-allow-origin'], '*');
  t.is(h['content-encoding'], undefined);
  await client.untilEvents(1);
  t.is(client.raw, 'data: hi\n\n');
  client.close();
});

test('initial chunk first, then live events with their ids', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=news&initial=${encodeURIComponent('{"rates":1}')}`);
  await eventually(() => system.snapshot().connections.length === 1, 5000, 'connection registered');
  system.notify({ id: 1, topic: 'news', data: { data: 'one' } });
  system.notify({ id: 'e2', topic: 'news', data: { data: 'two\nlines', event: 'update', id: 'chunk-id' } });
  await client.untilEvents(3);
  t.is(client.raw, 'data: {"rates":1}\n\nid: 1\ndata: one\n\nid: chunk-id\nevent: update\ndata: two\ndata: lines\n\n');
  client.close();
});

test('one connection on two topics gets both, in notify order; other topics stay out', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const both = await SseClient.connect(`${srv.url}/stream?topics=rates.usd_eur,news`);
  const gbp = await SseClient.connect(`${srv.url}/stream?topics=rates.usd_gbp`);
  await eventually(() => system.snapshot().connections.every((c) => c.state === 'streaming') && system.snapshot().connections.length === 2);
  const order = ['news', 'rates.usd_eur', 'rates.usd_gbp', 'news', 'rates.usd_eur'];
  order.forEach((topic, i) => system.notify({ id: i, topic, data: { data: `${topic}#${i}` } }));
  await both.untilEvents(4);
  await gbp.untilEvents(1);
  t.deepEqual(
    both.events.map((f) => f.data[0]),
    ['news#0', 'rates.usd_eur#1', 'news#3', 'rates.usd_eur#4'],
  );
  t.deepEqual(gbp.events.map((f) => [f.id, f.data[0]]), [['2', 'rates.usd_gbp#2']]);
  // Barrier: a later event on gbp's topic arrives, so nothing else was on its way before it.
  system.notify({ id: 9, topic: 'rates.usd_gbp', data: { data: 'last' } });
  await gbp.untilEvents(2);
  t.deepEqual(gbp.events.map((f) => f.id), ['2', '9']);
  both.close();
  gbp.close();
});

test('topic patterns: * is one segment; the stream gets every matching registered topic', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=rates.*`);
  await eventually(() => system.snapshot().connections.length === 1);
  t.deepEqual(system.snapshot().connections[0]?.topics, ['rates.usd_eur', 'rates.usd_gbp']);
  system.notify({ id: 1, topic: 'news', data: { data: 'no' } });
  system.notify({ id: 2, topic: 'rates.usd_gbp', data: { data: 'gbp' } });
  system.notify({ id: 3, topic: 'rates.usd_eur', data: { data: 'eur' } });
  await client.untilEvents(2);
  t.deepEqual(client.events.map((f) => f.data[0]), ['gbp', 'eur']);
  client.close();
});

test('unknown topic: 400 with a message, nothing streamed, others keep streaming', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const ok = await SseClient.connect(`${srv.url}/stream?topics=news`);
  const bad = await get(`${srv.url}/stream?topics=news,sports`);
  t.is(bad.status, 400);
  t.is(bad.body, 'Unknown SSE topic "sports": register it in createSystem({ topics })'); // never the registered list
  t.not(bad.headers['content-type'], 'text/event-stream; charset=utf-8');
  const badPattern = await get(`${srv.url}/stream?topics=${encodeURIComponent('weather.*')}`);
  t.is(badPattern.status, 400);
  t.deepEqual(system.snapshot().connections.map((c) => c.topics), [['news']]);
  system.notify({ id: 1, topic: 'news', data: { data: 'still here' } });
  await ok.untilEvents(1);
  t.is(ok.events[0]?.data[0], 'still here');
  t.throws(() => system.notify({ id: 2, topic: 'sports', data: { data: 'x' } }), { instanceOf: UnknownTopicError });
  ok.close();
});

test('invalid initial chunk: 500, nothing written, the server keeps serving', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  let thrown: unknown;
  const srv = await startServer(system, (app) => {
    app.use(async (ctx, next) => {
      if (ctx.path !== '/bad') return next();
      try {
        ctx.sse(['news'], { data: 'x', event: 'two\nlines' });
      } catch (error) {
        thrown = error;
        throw error;
      }
    });
  });
  t.teardown(srv.close);
  const res = await get(`${srv.url}/bad`);
  t.is(res.status, 500);
  t.is(res.body, 'Internal Server Error');
  t.true(thrown instanceof InvalidChunkError);
  t.is((thrown as InstanceType<typeof InvalidChunkError>).field, 'event');
  t.deepEqual(system.snapshot().connections, []);
  const ok = await SseClient.connect(`${srv.url}/stream?topics=news&initial=fine`);
  await ok.untilEvents(1);
  t.is(ok.raw, 'data: fine\n\n');
  ok.close();
});

test('invalid notify throws before anything is written to anyone', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=news`);
  await eventually(() => system.snapshot().connections.length === 1);
  const error = t.throws(() => system.notify({ id: 'a\nb', topic: 'news', data: { data: 'x' } }), { instanceOf: InvalidChunkError });
  t.is(error?.field, 'SseEvent.id');
  t.throws(() => system.notify({ id: 1, topic: 'news', data: { data: 'x', retry: -1 } }), { instanceOf: InvalidChunkError });
  system.notify({ id: 2, topic: 'news', data: { data: 'good' } });
  await client.untilEvents(1);
  t.is(client.raw, 'id: 2\ndata: good\n\n');
  client.close();
});

test('client disconnect removes the connection and its registry entries', async (t) => {
  const system = createSystem({ topics, keepAlive: 1000 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const clients = await Promise.all([1, 2, 3].map(() => SseClient.connect(`${srv.url}/stream?topics=news,rates.usd_eur`)));
  await eventually(() => system.snapshot().connections.length === 3);
  t.deepEqual(system.snapshot().topics, [
    { topic: 'rates.usd_eur', subscribers: 3, history: 0 },
    { topic: 'rates.usd_gbp', subscribers: 0, history: 0 },
    { topic: 'news', subscribers: 3, history: 0 },
  ]);
  for (const c of clients) c.close();
  await eventually(() => system.snapshot().connections.length === 0, 5000, 'connections to close');
  t.deepEqual(system.snapshot().topics.map((x) => x.subscribers), [0, 0, 0]);
  // notify to nobody is fine
  system.notify({ id: 1, topic: 'news', data: { data: 'x' } });
});

test('snapshot counts delivered events after the write and shows the last id', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=news&initial=x`);
  await client.untilEvents(1);
  for (let i = 1; i <= 5; i++) system.notify({ id: `n${i}`, topic: 'news', data: { data: String(i) } });
  await client.untilEvents(6);
  await eventually(() => system.snapshot().connections[0]?.delivered === 5);
  const [conn] = system.snapshot().connections;
  t.like(conn, { state: 'streaming', topics: ['news'], mailbox: 0, delivered: 5, lastEventId: 'n5' });
  t.regex(conn?.id ?? '', /^c\d+$/);
  client.close();
});

test('stop() spreads the end hint as wide as busyRetry (a deploy must not bring every client back in the same second); a narrower busyRetry keeps retry..2×retry', async (t) => {
  for (const [busyRetry, low, high, wide] of [[{ baseMs: 1000, jitterMs: 9000 }, 1000, 10_000, true], [{ baseMs: 500, jitterMs: 0 }, 1000, 2000, false]] as const) {
    const system = createSystem({ topics, keepAlive: 0, busyRetry });
    const srv = await startServer(system);
    const clients = await Promise.all(Array.from({ length: 20 }, () => SseClient.connect(`${srv.url}/stream?topics=news&initial=start`)));
    await Promise.all(clients.map((c) => c.untilEvents(1)));
    await system.stop();
    await Promise.all(clients.map((c) => c.untilEnded(5000)));
    const retries = clients.map((c) => Number(/retry: (\d+)\n\n$/.exec(c.raw)?.[1]));
    t.true(retries.every((r) => r >= low && r <= high), `every hint within ${low}..${high}: ${retries.join(',')}`);
    // 20 uniform draws over 1..10 s all at most 2 s apart: (1/9·2)^19, never in practice.
    if (wide) t.true(Math.max(...retries) - Math.min(...retries) > 2000, `spread over more than 2 s: ${retries.join(',')}`);
    await srv.close();
  }
});

test('stop() ends open streams, rejects new streams (503) and later notify', async (t) => {
  const system = createSystem({ topics, keepAlive: 1000 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const clients = await Promise.all([1, 2].map(() => SseClient.connect(`${srv.url}/stream?topics=news&initial=start`)));
  await Promise.all(clients.map((c) => c.untilEvents(1)));
  system.notify({ id: 1, topic: 'news', data: { data: 'queued before stop' } });
  await system.stop();
  await Promise.all(clients.map((c) => c.untilEnded(5000)));
  // Queued events are flushed, then a retry hint as wide as a busy answer (default busyRetry: 1 to 5 s) spreads the reconnects.
  for (const c of clients) {
    t.regex(c.raw, /^data: start\n\nid: 1\ndata: queued before stop\n\nretry: \d+\n\n$/);
    const retry = Number(/retry: (\d+)\n\n$/.exec(c.raw)?.[1]);
    t.true(retry >= 1000 && retry <= 5000, `retry ${retry} within busyRetry's 1000..5000`);
  }
  t.deepEqual(system.snapshot().connections, []);
  t.is(system.snapshot().status, 'stopped');
  t.true(system.stopped);
  t.throws(() => system.notify({ id: 2, topic: 'news', data: { data: 'late' } }), { instanceOf: SystemStoppedError });
  const late = await get(`${srv.url}/stream?topics=news`);
  t.is(late.status, 503);
  t.regex(late.body, /stopped/);
});

test('two systems in one process never see each other', async (t) => {
  const a = createSystem({ topics: ['news'], keepAlive: 0 });
  const b = createSystem({ topics: ['news'], keepAlive: 0 });
  const srvA = await startServer(a);
  const srvB = await startServer(b);
  t.teardown(srvA.close);
  t.teardown(srvB.close);
  const ca = await SseClient.connect(`${srvA.url}/stream?topics=news`);
  const cb = await SseClient.connect(`${srvB.url}/stream?topics=news`);
  await eventually(() => a.snapshot().connections.length === 1 && b.snapshot().connections.length === 1);
  a.notify({ id: 1, topic: 'news', data: { data: 'for a' } });
  b.notify({ id: 2, topic: 'news', data: { data: 'for b' } });
  await ca.untilEvents(1);
  await cb.untilEvents(1);
  t.is(ca.raw, 'id: 1\ndata: for a\n\n');
  t.is(cb.raw, 'id: 2\ndata: for b\n\n');
  ca.close();
  cb.close();
});

test('HEAD answers the stream headers and ends, with no connection left behind', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.request(`${srv.url}/stream?topics=news&initial=hi`, { method: 'HEAD', agent: false }, resolve).on('error', reject).end();
  });
  t.is(res.statusCode, 200);
  t.is(res.headers['content-type'], 'text/event-stream; charset=utf-8');
  await new Promise((resolve) => res.resume().on('end', resolve));
  t.deepEqual(system.snapshot().connections, []);
});

test('a second ctx.sse on one request is a clear error; the first stream goes on', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const errors: unknown[] = [];
  const srv = await startServer(system, (app) => {
    app.on('error', (error) => errors.push(error));
    app.use(async (ctx, next) => {
      if (ctx.path !== '/twice') return next();
      await ctx.sse(['news'], { data: 'first' });
      try {
        await ctx.sse(['news'], { data: 'second' });
      } catch (error) {
        errors.push(error);
      }
    });
  });
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/twice`);
  await client.untilEvents(1);
  t.is((errors[0] as Error).message, 'Cannot open an SSE stream: the response has sent its headers already (a second ctx.sse / system.stream on one request, or a route that wrote first)');
  await eventually(() => system.snapshot().connections.length === 1);
  system.notify({ id: 1, topic: 'news', data: { data: 'live' } });
  await client.untilEvents(2);
  t.is(client.raw, 'data: first\n\nid: 1\ndata: live\n\n');
  client.close();
});

test('the first write (headers and initial chunk in one go) carries exactly the encoded bytes, multi-byte text included', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  // Accents, a non-BMP emoji, and a lone surrogate (UTF-8 encoding turns it into U+FFFD).
  const initial = { data: ['héllo 🌍', 'x\uD800y'], comment: 'ça va' };
  const server = http.createServer((req, res) => system.stream(req, res, 'news', initial));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await system.stop({ timeoutMs: 1000 });
    server.closeAllConnections();
    server.close();
  });
  const expected = Buffer.from(': ça va\ndata: héllo 🌍\ndata: x\uD800y\n\n', 'utf8');
  const received = await new Promise<Buffer>((resolve, reject) => {
    http.get(`http://127.0.0.1:${(server.address() as { port: number }).port}/`, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => {
        parts.push(part);
        const all = Buffer.concat(parts);
        if (all.length >= expected.length) {
          res.destroy();
          resolve(all);
        }
      });
    }).on('error', reject);
  });
  t.deepEqual([...received], [...expected]);
  t.true(received.includes(Buffer.from([0xef, 0xbf, 0xbd])), 'the lone surrogate went out as U+FFFD, as Buffer.from encodes it');
});
