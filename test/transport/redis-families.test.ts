import test from 'ava';
import { createClient } from 'redis';
import { createSystem, redisTransport, type RedisClientLike, type SseSystem } from '../../src/index.ts';
import { deleteKeys } from '../helpers/redis-keys.ts';
import { cli } from '../helpers/redis-servers.ts';
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

const readsOf = (sent: readonly string[][], key: string): number => sent.filter((args) => args[0] === 'XREAD' && args.includes(key)).length;
const ids = (client: SseClient): string[] => client.events.map((f) => f.id ?? '');
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a pattern subscriber on B gets room.9 first notified on A; the cost is one more command per new name and none per publish; nodes with no pattern subscriber never read the names stream', async (t) => {
  const prefix = `redis-families:${process.pid}:`;
  const names = `${prefix}{room.*}`;
  const sent: Record<'A' | 'B' | 'C', string[][]> = { A: [], B: [], C: [] };
  const clients: Client[] = [];
  const make = (node: 'A' | 'B' | 'C'): SseSystem<Promise<void>> => {
    const client = createClient({ url: 'redis://127.0.0.1:6379' });
    clients.push(client);
    return createSystem({ topics: ['news', 'room.*'], keepAlive: 0, node, history: { size: 100, ttlMs: 0 }, transport: redisTransport({ client: counting(client, sent[node]), prefix, blockMs: 1000 }) });
  };
  const a = make('A');
  const b = make('B');
  const c = make('C');
  await Promise.all([a.ready(), b.ready(), c.ready()]);
  const srvB = await startServer(b);
  const srvC = await startServer(c);
  t.teardown(async () => {
    await a.stop();
    await srvB.close();
    await srvC.close();
    for (const client of clients) client.destroy();
    await deleteKeys(6379, prefix);
  });
  const news = await SseClient.connect(`${srvC.url}/stream?topics=news`); // C: fixed topics only
  const sub = await SseClient.connect(`${srvB.url}/stream?topics=${encodeURIComponent('room.*')}`);
  await eventually(() => b.snapshot().connections[0]?.state === 'streaming', 5000, 'the pattern stream on B');

  // A publish that creates the stream: the script, then one XADD announcing the name. Later ones: the script only.
  let mark = sent.A.length;
  await a.notify({ topic: 'room.9', id: 'r1', data: { data: 'nine 1' } });
  const firstPublish = sent.A.slice(mark).map((args) => args[0]);
  mark = sent.A.length;
  await a.notify({ topic: 'room.9', id: 'r2', data: { data: 'nine 2' } });
  const laterPublish = sent.A.slice(mark).map((args) => args[0]);
  t.deepEqual(firstPublish, ['EVALSHA', 'XADD'], 'a new name: the publish script and one announcement');
  t.deepEqual(laterPublish, ['EVALSHA'], 'a publish to an existing stream: one command, as before');
  t.log(`commands per publish: new name ${firstPublish.join(' + ')}, existing topic ${laterPublish.join(' + ')}`);

  await sub.untilEvents(2);
  t.is(sub.raw, 'id: r1\ndata: nine 1\n\nid: r2\ndata: nine 2\n\n', 'from the event that created the topic, exactly, in order');
  for (let n = 3; n <= 6; n++) await a.notify({ topic: 'room.9', id: `r${n}`, data: { data: `nine ${n}` } });
  await sub.untilEvents(6);
  await pause(300);
  t.deepEqual(ids(sub), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'], 'then live, in order, nothing twice');
  t.is(Number(await cli(6379, 'XLEN', names)), 1, 'one announcement for room.9');

  t.is(readsOf(sent.A, names), 0, 'A has no pattern subscriber: it never reads the names stream');
  t.is(readsOf(sent.C, names), 0, 'C serves fixed topics only: it never reads the names stream');
  t.true(readsOf(sent.B, names) > 0, 'B reads it, in its one blocking XREAD');
  t.true(sent.B.some((args) => args[0] === 'XREAD' && args.includes(names) && args.includes(`${prefix}{room.9}`)), 'the names stream and room.9 in the same read');
  t.is(readsOf(sent.C, `${prefix}{room.9}`), 0, 'C never reads room.9');

  // A named subscriber of room.9 on B comes and goes: the pattern keeps room.9 followed.
  const named = await SseClient.connect(`${srvB.url}/stream?topics=room.9`);
  await eventually(() => b.snapshot().connections.filter((x) => x.state === 'streaming').length === 2, 5000, 'two streams on B');
  named.close();
  await eventually(() => b.snapshot().connections.length === 1, 5000, 'the named stream gone');
  await a.notify({ topic: 'room.9', id: 'r7', data: { data: 'nine 7' } });
  await sub.untilEvents(7);
  t.is(ids(sub).at(-1), 'r7');

  // The last pattern subscriber leaves: B stops reading the names stream and room.9, and reclaims it.
  sub.close();
  await eventually(() => b.snapshot().connections.length === 0, 5000, 'the pattern stream gone');
  await eventually(() => b.snapshot().topicCount.live === 1, 5000, 'room.9 reclaimed on B');
  mark = sent.B.length;
  await a.notify({ topic: 'news', id: 'n1', data: { data: 'still read' } });
  await news.untilEvents(1);
  await eventually(() => b.snapshot().history.news?.events === 1, 5000, 'news on B');
  t.is(readsOf(sent.B.slice(mark), names), 0, 'B no longer reads the names stream');
  t.is(readsOf(sent.B.slice(mark), `${prefix}{room.9}`), 0, 'nor room.9');

  // A new pattern subscriber after the reclaim: room.9 created again (its stream deleted, as by an
  // operator or an expiry) and a new room.12 both reach it, from their first event.
  const again = await SseClient.connect(`${srvB.url}/stream?topics=${encodeURIComponent('room.*')}`);
  await eventually(() => b.snapshot().connections[0]?.state === 'streaming', 5000, 'the new pattern stream on B');
  await cli(6379, 'DEL', `${prefix}{room.9}`);
  await a.notify({ topic: 'room.9', id: 'r8', data: { data: 'nine again' } });
  await a.notify({ topic: 'room.12', id: 'w1', data: { data: 'twelve' } });
  await again.untilEvents(2);
  await pause(300);
  t.deepEqual([...ids(again)].sort(), ['r8', 'w1']);
  again.close();
  news.close();
});
