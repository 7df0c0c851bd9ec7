import test, { type ExecutionContext } from 'ava';
import { PresenceNode } from '../helpers/presence-nodes.ts';
import { deleteKeys } from '../helpers/redis-keys.ts';
import { RedisCluster } from '../helpers/redis-servers.ts';
import { SseClient } from '../helpers/sse-client.ts';

// Three real node processes (test/fixtures/presence-node.ts) with presence on Redis: the shared
// 127.0.0.1:6379 with a prefix of this test's own, or a private 3-master Cluster.

let cluster: RedisCluster | undefined;
test.before(async () => {
  cluster = await RedisCluster.start();
});
test.after.always(async () => {
  await cluster?.stop();
});

// 3000: at 2000 a node whose event loop stalls 1.5 s (a loaded 2-core machine) would be reaped while alive.
const TTL_MS = 3000;
type Entry = { id: string; info?: unknown; connections: number };
type Change = { type: 'join' | 'leave'; id: string; info?: unknown };
let runs = 0;

function env(where: 'redis' | 'cluster'): Record<string, string> {
  return where === 'redis' ? { REDIS_URL: 'redis://127.0.0.1:6379' } : { REDIS_CLUSTER: (cluster?.rootNodes ?? []).join(',') };
}

async function startNodes(t: ExecutionContext, where: 'redis' | 'cluster', prefix: string, names: string[]): Promise<PresenceNode[]> {
  const started = await Promise.allSettled(names.map((name) => PresenceNode.start({ ...env(where), PREFIX: prefix, NODE: name, TTL_MS: String(TTL_MS) })));
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  t.teardown(() => Promise.all(nodes.map((node) => node.kill('SIGKILL'))).then(() => undefined));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return nodes;
}

function stream(t: ExecutionContext, node: PresenceNode, user: string): Promise<SseClient> {
  return SseClient.connect(`${node.url}/?topics=room.a&user=${user}`).then((client) => {
    t.teardown(() => client.close());
    return client;
  });
}

const changes = (client: SseClient): Change[] => client.frames.filter((f) => f.event === 'presence').map((f) => JSON.parse(f.data.join('\n')) as Change);
const count = (client: SseClient, type: Change['type'], id: string): number => changes(client).filter((c) => c.type === type && c.id === id).length;
const entry = (id: string, connections: number): Entry => ({ id, info: { name: id }, connections });

/** Polls every node's `presence('room.a')` until all equal `expected` (sorted by id), or fails after 15 s. */
async function agree(t: ExecutionContext, nodes: readonly PresenceNode[], expected: Entry[]): Promise<void> {
  const want = JSON.stringify([...expected].sort((a, b) => a.id.localeCompare(b.id)));
  const deadline = Date.now() + 15_000;
  let seen: string[] = [];
  for (;;) {
    seen = await Promise.all(nodes.map(async (node) => JSON.stringify([...(await node.call<Entry[]>('presence', 'room.a'))].sort((a, b) => a.id.localeCompare(b.id)))));
    if (seen.every((s) => s === want)) return;
    if (Date.now() > deadline) throw new Error(`presence did not agree within 15 s:\nwant ${want}\n${seen.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // a poll interval, bounded by the deadline
  }
}

for (const where of ['redis', 'cluster'] as const) {
  test.serial(`${where}: three nodes agree on presence; a SIGKILLed node's users leave everywhere once; a restarted node doubles no one; disconnect ends a user's streams on every node`, async (t) => {
    const prefix = `presence-nodes:${process.pid}:${(runs += 1)}:`;
    t.teardown(async () => {
      for (const port of where === 'redis' ? [6379] : (cluster?.servers ?? []).map((s) => s.port)) await deleteKeys(port, prefix);
    });
    const nodes = await startNodes(t, where, prefix, ['n0', 'n1', 'n2']);
    const [n0, n1, n2] = nodes as [PresenceNode, PresenceNode, PresenceNode];
    const observers = [await stream(t, n0, 'obs0'), await stream(t, n1, 'obs1'), await stream(t, n2, 'obs2')];
    await agree(t, nodes, [entry('obs0', 1), entry('obs1', 1), entry('obs2', 1)]);

    await Promise.all([stream(t, n0, 'u1'), stream(t, n0, 'u1'), stream(t, n0, 'u2'), stream(t, n1, 'u1'), stream(t, n1, 'u3'), stream(t, n2, 'u1'), stream(t, n2, 'u4')]);
    const all = [entry('obs0', 1), entry('obs1', 1), entry('obs2', 1), entry('u1', 4), entry('u2', 1), entry('u3', 1), entry('u4', 1)];
    await agree(t, nodes, all);
    for (const node of nodes) t.deepEqual(await node.call('occupancy', 'room.a'), { users: 7, connections: 10 });
    const users = ['u1', 'u2', 'u3', 'u4'];
    await Promise.all(observers.map((o) => o.until((c) => users.every((u) => count(c, 'join', u) >= 1), 10_000, 'the four joins')));

    // SIGKILL n2: its only users (obs2, u4) leave everywhere; u1 stays (streams on n0 and n1).
    const [o0, o1] = observers as [SseClient, SseClient];
    await n2.kill('SIGKILL');
    const killedAt = Date.now();
    await Promise.all([o0, o1].map((o) => o.until((c) => count(c, 'leave', 'u4') >= 1 && count(c, 'leave', 'obs2') >= 1, 10 * TTL_MS, 'the dead node\'s leaves')));
    const leftAfter = Date.now() - killedAt;
    t.log(`${where}: the dead node's users left on every other node ${leftAfter} ms after SIGKILL (ttlMs ${TTL_MS})`);
    await agree(t, [n0, n1], [entry('obs0', 1), entry('obs1', 1), entry('u1', 3), entry('u2', 1), entry('u3', 1)]);

    // Restarted with the same id: u4 comes back once; nobody is doubled.
    const [again] = await startNodes(t, where, prefix, ['n2']);
    await stream(t, again as PresenceNode, 'u4');
    await agree(t, [n0, n1, again as PresenceNode], [entry('obs0', 1), entry('obs1', 1), entry('u1', 3), entry('u2', 1), entry('u3', 1), entry('u4', 1)]);
    await Promise.all([o0, o1].map((o) => o.until((c) => count(c, 'join', 'u4') >= 2, 10_000, 'u4 back')));

    // disconnect on n1 ends u1's streams on n0 and n1 (3), and u1 leaves once.
    t.is(await n1.call('disconnect', { user: 'u1' }), 3);
    await Promise.all([o0, o1].map((o) => o.until((c) => count(c, 'leave', 'u1') >= 1, 10_000, 'u1 left')));
    await agree(t, [n0, n1, again as PresenceNode], [entry('obs0', 1), entry('obs1', 1), entry('u2', 1), entry('u3', 1), entry('u4', 1)]);

    // Each transition once per observer, never once per node.
    for (const o of [o0, o1]) {
      for (const u of users) t.is(count(o, 'join', u), u === 'u4' ? 2 : 1, `join ${u}`);
      t.deepEqual(['u1', 'u2', 'u3', 'u4', 'obs2'].map((u) => count(o, 'leave', u)), [1, 0, 0, 1, 1]);
    }
  });
}
