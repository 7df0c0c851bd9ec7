import test from 'ava';
import { createClient } from 'redis';
import { createSystem, redisTransport, type RedisClientLike, type SseSystem } from '../../src/index.ts';
import { deleteKeys } from '../helpers/redis-keys.ts';
import { SseClient, startServer, eventually } from '../helpers/sse-client.ts';

type Client = ReturnType<typeof createClient>;

/** A node-redis client (and its duplicates, the transport's readers) that records every command it sends. */
function counting(client: Client, sent: string[][]): RedisClientLike {
  return {
    get isOpen() {
      return client.isOpen;
    },
    connect: () => client.connect(),
    duplicate: () => counting(client.duplicate(), sent),
    sendCommand: (args: string[]) => {
      sent.push(args);
      return client.sendCommand(args);
    },
    destroy: () => client.destroy(),
    on: (event, listener) => client.on(event, listener),
  };
}

const reads = (sent: string[][], topic: string) => sent.filter((args) => args[0] === 'XREAD' && args.some((arg) => arg.endsWith(`{${topic}}`))).length;

test('a node reads only the runtime topics its clients listen to: no XREAD for user.N without a local subscriber, and none once the last one left', async (t) => {
  const prefix = `redis-topics:${process.pid}:`;
  const sentA: string[][] = [];
  const sentB: string[][] = [];
  const clients = [createClient({ url: 'redis://127.0.0.1:6379' }), createClient({ url: 'redis://127.0.0.1:6379' })];
  const make = (client: Client, sent: string[][], node: string): SseSystem<Promise<void>> =>
    createSystem({ topics: ['news', 'user.*'], keepAlive: 0, node, history: { size: 100, ttlMs: 0 }, transport: redisTransport({ client: counting(client, sent), prefix, blockMs: 1000 }) });
  const a = make(clients[0] as Client, sentA, 'A');
  const b = make(clients[1] as Client, sentB, 'B');
  await Promise.all([a.ready(), b.ready()]);
  const srv = await startServer(b);
  t.teardown(async () => {
    await a.stop();
    await srv.close();
    for (const client of clients) client.destroy();
    await deleteKeys(6379, prefix);
  });
  const onB = await SseClient.connect(`${srv.url}/stream?topics=user.7`);
  await eventually(() => b.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream on B');
  for (let n = 1; n <= 3; n++) {
    await a.notify({ topic: 'user.7', id: `e${n}`, data: { data: `seven ${n}` } });
    await a.notify({ topic: 'user.8', id: `e${n}`, data: { data: `eight ${n}` } });
  }
  await onB.untilEvents(3);
  t.is(onB.raw, 'id: e1\ndata: seven 1\n\nid: e2\ndata: seven 2\n\nid: e3\ndata: seven 3\n\n');
  t.is(reads(sentA, 'user.7') + reads(sentA, 'user.8'), 0, 'A has no subscriber: it reads neither');
  t.true(reads(sentB, 'user.7') > 0);
  t.is(reads(sentB, 'user.8'), 0, 'B reads only user.7');
  t.true(reads(sentA, 'news') > 0, 'fixed topics are read by every node, as before');
  onB.close();
  await eventually(() => b.snapshot().connections.length === 0, 5000, 'the stream gone');
  const mark = sentB.length;
  await a.notify({ topic: 'user.7', id: 'e4', data: { data: 'nobody here' } });
  await a.notify({ topic: 'news', id: 'n1', data: { data: 'still read' } });
  await eventually(() => b.snapshot().history.news?.events === 1, 5000, 'news on B');
  t.is(reads(sentB.slice(mark), 'user.7'), 0, 'dropped from B\'s reads with its last subscriber');
  await eventually(() => b.snapshot().topicCount.live === 1, 5000, 'user.7 reclaimed on B');
});

test('first-subscriber replay on a node that never read the topic: the history comes from Redis before the stream attaches (latency logged)', async (t) => {
  const prefix = `redis-topics-first:${process.pid}:`;
  const make = (node: string) => createSystem({ topics: ['user.*'], keepAlive: 0, node, history: { size: 100, ttlMs: 0 }, transport: redisTransport({ url: 'redis://127.0.0.1:6379', prefix, blockMs: 1000 }) });
  const a = make('A');
  const b = make('B');
  await Promise.all([a.ready(), b.ready()]);
  const srv = await startServer(b);
  t.teardown(async () => {
    await a.stop();
    await srv.close();
    await deleteKeys(6379, prefix);
  });
  for (let n = 1; n <= 50; n++) await a.notify({ topic: 'user.1', id: n, data: { data: `m${n}` } });
  const started = performance.now();
  const client = await SseClient.connect(`${srv.url}/stream?topics=user.1`, { 'last-event-id': '40' });
  await client.untilEvents(10);
  const firstMs = performance.now() - started;
  t.deepEqual(client.events.map((f) => f.id), ['41', '42', '43', '44', '45', '46', '47', '48', '49', '50']);
  const again = performance.now();
  const second = await SseClient.connect(`${srv.url}/stream?topics=user.1`, { 'last-event-id': '40' });
  await second.untilEvents(10);
  const mirroredMs = performance.now() - again;
  t.log(`first subscriber on B: ${firstMs.toFixed(1)} ms to its replay; with user.1 followed already: ${mirroredMs.toFixed(1)} ms`);
  await a.notify({ topic: 'user.1', id: 51, data: { data: 'm51' } });
  await client.untilEvents(11);
  await second.untilEvents(11);
  t.is(client.events.map((f) => f.id).join(), second.events.map((f) => f.id).join());
  client.close();
  second.close();
});
