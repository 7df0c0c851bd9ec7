import test, { type ExecutionContext } from 'ava';
import { SseClient } from '../helpers/sse-client.ts';
import { NodeProcess } from '../helpers/nodes.ts';
import { deleteKeys } from '../helpers/redis-keys.ts';
import { RedisCluster } from '../helpers/redis-servers.ts';

// Three real node processes (test/fixtures/redis-node.ts), each on its own port, one system on
// Redis: the shared 127.0.0.1:6379 with a prefix of this test's own, or a private Cluster.

let runs = 0;

async function threeNodes(t: ExecutionContext, env: Record<string, string>, ports: number[] = [6379]): Promise<NodeProcess[]> {
  const prefix = `multi-node:${process.pid}:${(runs += 1)}:`;
  const started = await Promise.allSettled([0, 1, 2].map((n) => NodeProcess.start({ REDIS_URL: 'redis://127.0.0.1:6379', ...env, PREFIX: prefix, NODE: `n${n}` })));
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  t.teardown(async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    for (const port of ports) await deleteKeys(port, prefix);
  });
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return nodes;
}

const ids = (client: SseClient): string[] => client.events.map((f) => f.id ?? '');
const idsOfTopic = (client: SseClient, topic: string): string[] => client.events.filter((f) => f.data[0]?.startsWith(`${topic}:`)).map((f) => f.id ?? '');

async function everyEventOnceInOneOrder(t: ExecutionContext, nodes: NodeProcess[]): Promise<void> {
  const onlyA = await Promise.all(nodes.flatMap((node) => [SseClient.connect(`${node.url}/?topics=a`), SseClient.connect(`${node.url}/?topics=a`)]));
  const both = await Promise.all(nodes.map((node) => SseClient.connect(`${node.url}/?topics=a,b`)));
  // A publisher on each node, all at once; each awaits its own notifies (so its events keep its order).
  await Promise.all(
    nodes.map(async (node, n) => {
      for (let k = 0; k < 20; k++) {
        const topic = k % 2 === 0 ? 'a' : 'b';
        await node.notify(topic, `n${n}-${k}`, `${topic}:n${n}-${k}`);
      }
    }),
  );
  await Promise.all([...onlyA.map((c) => c.untilEvents(30)), ...both.map((c) => c.untilEvents(60))]);
  const expected = (topic: string) => nodes.flatMap((_, n) => Array.from({ length: 20 }, (_, k) => k).filter((k) => (k % 2 === 0) === (topic === 'a')).map((k) => `n${n}-${k}`)).sort();
  const orderA = ids(onlyA[0] as SseClient);
  t.deepEqual([...orderA].sort(), expected('a'));
  const orderB = idsOfTopic(both[0] as SseClient, 'b');
  t.deepEqual([...orderB].sort(), expected('b'));
  for (const client of onlyA) t.deepEqual(ids(client), orderA, 'every client of a: the same 30 events, once, in one order');
  for (const client of both) {
    t.is(client.events.length, 60);
    t.deepEqual(idsOfTopic(client, 'a'), orderA);
    t.deepEqual(idsOfTopic(client, 'b'), orderB);
  }
  // Each publisher's own events keep the order it notified them in.
  for (let n = 0; n < nodes.length; n++) t.deepEqual(orderA.filter((id) => id.startsWith(`n${n}-`)), expected('a').filter((id) => id.startsWith(`n${n}-`)).sort((x, y) => Number(x.split('-')[1]) - Number(y.split('-')[1])));
  for (const client of [...onlyA, ...both]) client.close();
}

test.serial('3 nodes on one Redis, clients spread, a publisher on each: every client gets every event of its topics once, in one order per topic', async (t) => {
  await everyEventOnceInOneOrder(t, await threeNodes(t, {}));
});

test.serial('a client reconnecting to another node with Last-Event-ID gets exactly what it missed; an aged-out id gets sse-reset', async (t) => {
  const [n0, n1, n2] = (await threeNodes(t, { HISTORY_SIZE: '5' })) as [NodeProcess, NodeProcess, NodeProcess];
  const first = await SseClient.connect(`${n0.url}/?topics=a`);
  for (const id of ['m1', 'm2', 'm3']) await n1.notify('a', id);
  await first.untilEvents(3);
  first.close();
  for (const id of ['m4', 'm5']) await n2.notify('a', id);
  const again = await SseClient.connect(`${n2.url}/?topics=a`, { 'last-event-id': 'm3' });
  await again.untilEvents(2);
  t.is(again.raw, 'id: m4\ndata: m4\n\nid: m5\ndata: m5\n\n');
  again.close();
  for (const id of ['m6', 'm7', 'm8', 'm9', 'm10', 'm11']) await n0.notify('a', id);
  const late = await SseClient.connect(`${n1.url}/?topics=a`, { 'last-event-id': 'm3' });
  await late.until((c) => c.frames.some((f) => f.event === 'sse-reset'), 10_000, 'sse-reset');
  t.like(JSON.parse(late.frames[0]?.data.join('\n') ?? '{}'), { reason: 'aged-out', lastEventId: 'm3' });
  late.close();
});

test.serial('SIGKILL one node mid-stream: its clients reconnect to the others with Last-Event-ID, no loss, no duplicate', async (t) => {
  const [n0, n1, n2] = (await threeNodes(t, {})) as [NodeProcess, NodeProcess, NodeProcess];
  const onKilled = await Promise.all([0, 1, 2].map(() => SseClient.connect(`${n0.url}/?topics=a`)));
  const onOther = await SseClient.connect(`${n2.url}/?topics=a`);
  const all = Array.from({ length: 60 }, (_, k) => `k${k}`);
  const publishing = (async () => {
    for (const id of all) await n1.notify('a', id);
  })();
  await Promise.all(onKilled.map((c) => c.untilEvents(15)));
  await n0.kill('SIGKILL');
  await Promise.all(onKilled.map((c) => c.untilEnded()));
  const resumed = await Promise.all(onKilled.map((c, n) => SseClient.connect(`${(n % 2 === 0 ? n1 : n2).url}/?topics=a`, { 'last-event-id': ids(c).at(-1) ?? '' })));
  await publishing;
  await Promise.all([...resumed.map((c, n) => c.untilEvents(60 - ids(onKilled[n] as SseClient).length)), onOther.untilEvents(60)]);
  for (const [n, before] of onKilled.entries()) t.deepEqual([...ids(before), ...ids(resumed[n] as SseClient)], all);
  t.deepEqual(ids(onOther), all);
  for (const client of [...resumed, onOther]) client.close();
});

test.serial('3 nodes on a 3-master Redis Cluster: every client gets every event of its topics once, in one order per topic', async (t) => {
  const cluster = await RedisCluster.start();
  t.teardown(() => cluster.stop()); // runs after the nodes' teardown (ava runs teardowns last-in first-out)
  const nodes = await threeNodes(t, { REDIS_CLUSTER: cluster.rootNodes.join(',') }, cluster.servers.map((s) => s.port));
  await everyEventOnceInOneOrder(t, nodes);
});

test('three processes on Redis, a family: user.5\'s stream on node B gets what node A notified, and its reconnect to node C replays exactly', async (t) => {
  const [a, b, c] = (await threeNodes(t, { TOPICS: 'news,user.*' })) as [NodeProcess, NodeProcess, NodeProcess];
  await a.notify('user.5', 'u1', 'before anyone listened');
  const onB = await SseClient.connect(`${b.url}/?topics=user.5`, { 'last-event-id': 'u1' });
  await a.notify('user.5', 'u2', 'two');
  await a.notify('user.6', 'x1', 'someone else');
  await onB.untilEvents(1);
  t.is(onB.raw, 'id: u2\ndata: two\n\n');
  onB.close();
  await a.notify('user.5', 'u3', 'while away');
  const onC = await SseClient.connect(`${c.url}/?topics=user.5`, { 'last-event-id': 'u2' });
  await onC.untilEvents(1);
  await a.notify('user.5', 'u4', 'four');
  await onC.untilEvents(2);
  t.is(onC.raw, 'id: u3\ndata: while away\n\nid: u4\ndata: four\n\n');
  onC.close();
});

test('three processes on Redis: a room.* stream on node B gets room.9, first notified on node A, from its first event; node C (news only) is unaffected', async (t) => {
  const [a, b, c] = (await threeNodes(t, { TOPICS: 'news,room.*' })) as [NodeProcess, NodeProcess, NodeProcess];
  const onB = await SseClient.connect(`${b.url}/?topics=${encodeURIComponent('news,room.*')}`);
  const onC = await SseClient.connect(`${c.url}/?topics=news`);
  // The stream on B attaches once B watches room.*'s names: a news event through it says it has.
  for (let n = 0; onB.events.length === 0; n++) {
    if (n === 100) throw new Error('the stream on B never attached');
    await a.notify('news', `n${n}`, 'attached?');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await a.notify('room.9', 'r1', 'nine 1');
  await a.notify('room.9', 'r2', 'nine 2');
  const rooms = () => onB.events.filter((f) => f.id?.startsWith('r'));
  await onB.until(() => rooms().length === 2, 10_000, 'room.9 on B');
  t.deepEqual(rooms().map((f) => [f.id, f.data.join('\n')]), [['r1', 'nine 1'], ['r2', 'nine 2']]);
  t.true(ids(onC).every((id) => id.startsWith('n')), 'C gets news only');
  onB.close();
  onC.close();
});
