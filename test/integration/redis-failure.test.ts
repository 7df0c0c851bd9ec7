import test from 'ava';
import { createSystem, redisTransport, TransportError, type RedisTransportOptions, type SseSystem } from '../../src/index.ts';
import { SseClient, eventually, startServer } from '../helpers/sse-client.ts';
import { PrivateRedis, cli } from '../helpers/redis-servers.ts';

// Failures on a private redis-server of each test's own (never the shared one): stopped and
// restarted on its port, or paused with CLIENT PAUSE.

async function node(t: { teardown(fn: () => Promise<void>): void }, redis: PrivateRedis, name: string, options: RedisTransportOptions = {}): Promise<SseSystem<Promise<void>>> {
  const system = createSystem({ topics: ['a'], node: name, keepAlive: 0, transport: redisTransport({ url: redis.url, blockMs: 500, reconnect: { minMs: 20, maxMs: 200 }, ...options }) });
  t.teardown(() => system.stop({ timeoutMs: 500 }));
  await system.ready();
  return system;
}

const state = (system: SseSystem<Promise<void>>) => system.snapshot().transport.state;
const ids = (client: SseClient) => client.events.map((f) => f.id);

test.serial('Redis stopped for 2 s and restarted: no crash, notify rejects while down and resolves after, delivery resumes, nothing Redis kept is lost', async (t) => {
  // Append-only file, fsync always: what Redis acknowledged survives its restart.
  const redis = await PrivateRedis.start(['--appendonly', 'yes', '--appendfsync', 'always']);
  t.teardown(() => redis.stop());
  const publisher = await node(t, redis, 'publisher', { publish: { concurrency: 8, maxQueued: 100, timeoutMs: 500 } });
  const reader = await node(t, redis, 'reader');
  const srv = await startServer(reader);
  const client = await SseClient.connect(`${srv.url}/stream?topics=a`);
  for (const id of [1, 2, 3]) await publisher.notify({ topic: 'a', id, data: { data: `v${id}` } });
  await client.untilEvents(3);

  const downAt = Date.now();
  await redis.down();
  await eventually(() => state(publisher) === 'reconnecting' && state(reader) === 'reconnecting', 10_000, 'both nodes to say reconnecting');
  t.truthy(reader.snapshot().transport.lastError);
  const refused = await t.throwsAsync(publisher.notify({ topic: 'a', id: 4, data: { data: 'v4' } }), { instanceOf: TransportError });
  t.is(refused?.transport, 'redis');
  // The simulated outage: Redis stays away 2 s in all, then comes back on its port.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2000 - (Date.now() - downAt))));
  await redis.up();
  await eventually(() => state(publisher) === 'connected' && state(reader) === 'connected', 10_000, 'both nodes to say connected');

  await publisher.notify({ topic: 'a', id: 5, data: { data: 'v5' } });
  await client.untilEvents(4);
  t.deepEqual(ids(client), ['1', '2', '3', '5']);
  t.is(client.ended, false, 'the stream stayed open through the outage');
  // A node started now restores what Redis kept: everything acknowledged, nothing refused.
  const late = await node(t, redis, 'late');
  t.deepEqual(late.snapshot().topics, [{ topic: 'a', subscribers: 0, history: 4 }]);
  const lateSrv = await startServer(late);
  const replay = await SseClient.connect(`${lateSrv.url}/stream?topics=a`, { 'last-event-id': '1' });
  await replay.untilEvents(3);
  t.deepEqual(ids(replay), ['2', '3', '5']);
  for (const c of [client, replay]) c.close();
  await srv.close();
  await lateSrv.close();
});

test.serial('CLIENT PAUSE: a publish past its timeout rejects and is never added; one within it resolves after; a full queue rejects at once; stop rejects what is pending', async (t) => {
  const redis = await PrivateRedis.start();
  t.teardown(() => redis.stop());
  const hasty = await node(t, redis, 'hasty', { publish: { concurrency: 8, maxQueued: 100, timeoutMs: 300 } });
  const patient = await node(t, redis, 'patient', { publish: { concurrency: 8, maxQueued: 100, timeoutMs: 10_000 } });
  const narrow = await node(t, redis, 'narrow', { publish: { concurrency: 1, maxQueued: 1, timeoutMs: 10_000 } });
  const leaving = await node(t, redis, 'leaving', { publish: { concurrency: 8, maxQueued: 100, timeoutMs: 10_000 } });
  const srv = await startServer(patient);
  const client = await SseClient.connect(`${srv.url}/stream?topics=a`);
  await hasty.notify({ topic: 'a', id: 'p1', data: { data: 'x' } });
  await client.untilEvents(1);

  await cli(redis.port, 'client', 'pause', '1500', 'write');
  const late = hasty.notify({ topic: 'a', id: 'p2', data: { data: 'x' } });
  const waits = patient.notify({ topic: 'a', id: 'p3', data: { data: 'x' } });
  const q1 = narrow.notify({ topic: 'a', id: 'q1', data: { data: 'x' } });
  const q2 = narrow.notify({ topic: 'a', id: 'q2', data: { data: 'x' } });
  await t.throwsAsync(narrow.notify({ topic: 'a', id: 'q3', data: { data: 'x' } }), { instanceOf: TransportError, message: /publish queue is full/ });
  t.is(narrow.snapshot().transport.pending, 2);
  const dropped = leaving.notify({ topic: 'a', id: 's1', data: { data: 'x' } });
  await leaving.stop();
  await t.throwsAsync(dropped, { instanceOf: TransportError, message: /stopped/ });
  await t.throwsAsync(late, { instanceOf: TransportError, message: /within publish\.timeoutMs/ });

  await Promise.all([waits, q1, q2]);
  await client.untilEvents(4);
  t.deepEqual([...ids(client)].sort(), ['p1', 'p3', 'q1', 'q2']);
  t.true(ids(client).indexOf('q1') < ids(client).indexOf('q2'));
  // Redis refused p2 (its deadline had passed when the pause ended) and never got s1 or q3.
  t.is(await cli(redis.port, 'xlen', 'sse-actors:{a}'), '4');
  t.is(hasty.snapshot().transport.state, 'connected');
  client.close();
  await srv.close();
});
