import test, { type ExecutionContext } from 'ava';
import { fork } from 'node:child_process';
import type { PresenceChange, PresenceDelta } from '../../src/transport/presence-types.ts';
import { liveKey } from '../../src/transport/redis-presence-scripts.ts';
import { openStore, type StoreNode, type Where } from '../helpers/presence-store.ts';
import { deleteKeys } from '../helpers/redis-keys.ts';
import { RedisCluster, cli } from '../helpers/redis-servers.ts';
import { eventually } from '../helpers/sse-client.ts';

// Store-level: the Redis presence store with no system, on the shared Redis and on a private
// 3-master Cluster started for this file.
let cluster: RedisCluster | undefined;
test.before(async () => {
  cluster = await RedisCluster.start();
});
test.after.always(async () => {
  await cluster?.stop();
});

type Setup = { name: string; where: () => Where; ports: () => number[] };
const setups: Setup[] = [
  { name: 'redis', where: () => ({ url: 'redis://127.0.0.1:6379' }), ports: () => [6379] },
  { name: 'cluster', where: () => ({ cluster: { rootNodes: cluster?.rootNodes ?? [] } }), ports: () => (cluster?.servers ?? []).map((s) => s.port) },
];

let seq = 0;
function prefixFor(t: ExecutionContext, setup: Setup): string {
  const prefix = `presence-test:${process.pid}:${(seq += 1)}:`;
  t.teardown(async () => {
    for (const port of setup.ports()) await deleteKeys(port, prefix);
  });
  return prefix;
}

async function open(t: ExecutionContext, setup: Setup, prefix: string, node: string, ttlMs: number, ended = 0): Promise<StoreNode> {
  const opened = await openStore(setup.where(), prefix, node, ttlMs, ended);
  t.teardown(() => opened.stop());
  return opened;
}

/** A store in its own process, to SIGKILL; killed in teardown whatever happens. */
function child(t: ExecutionContext, setup: Setup, env: Record<string, string>, deltas: PresenceDelta[]): Promise<{ kill(): Promise<void>; incarnation: string; changes: PresenceChange[] }> {
  const where = setup.where();
  const proc = fork(new URL('../fixtures/presence-store-node.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env, DELTAS: JSON.stringify(deltas), ...('url' in where ? { REDIS_URL: where.url } : { REDIS_CLUSTER: where.cluster.rootNodes.join(',') }) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const kill = (): Promise<void> => (proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  }));
  t.teardown(kill);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => void kill().then(() => reject(new Error('the store process was not ready within 30 s'))), 30_000);
    proc.once('exit', (code) => reject(new Error(`the store process exited with ${String(code)}`)));
    proc.on('message', (message: { type: string; incarnation: string; changes: PresenceChange[] }) => {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      resolve({ kill, incarnation: message.incarnation, changes: message.changes });
    });
  });
}

const key = (c: PresenceChange): string => `${c.type} ${c.topic} ${c.id}`;
const users = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => `u${i + from}`);

for (const setup of setups) {
  test(`${setup.name}: apply returns the global transitions; list and occupancy are exact`, async (t) => {
    const prefix = prefixFor(t, setup);
    const a = await open(t, setup, prefix, 'a', 60_000);
    const joined = await a.store.apply([
      { topic: 'room.a', id: 'u1', info: { name: 'Ada' }, delta: 2 },
      { topic: 'room.a', id: 'u2', delta: 1 },
      { topic: 'room.b', id: 'u1', info: { name: 'Ada' }, delta: 1 },
    ]);
    t.deepEqual([...joined].sort((x, y) => key(x).localeCompare(key(y))), [
      { type: 'join', topic: 'room.a', id: 'u1', info: { name: 'Ada' } },
      { type: 'join', topic: 'room.a', id: 'u2' },
      { type: 'join', topic: 'room.b', id: 'u1', info: { name: 'Ada' } },
    ]);
    t.deepEqual(await a.store.list('room.a'), [{ id: 'u1', info: { name: 'Ada' }, connections: 2 }, { id: 'u2', connections: 1 }]);
    t.deepEqual(await a.store.occupancy('room.a'), { users: 2, connections: 3 });
    t.deepEqual(await a.store.apply([{ topic: 'room.a', id: 'u1', delta: -1 }, { topic: 'room.a', id: 'u2', info: { name: 'Bo' }, delta: 1 }]), []);
    t.deepEqual(await a.store.list('room.a'), [{ id: 'u1', info: { name: 'Ada' }, connections: 1 }, { id: 'u2', info: { name: 'Bo' }, connections: 2 }]);
    t.deepEqual(await a.store.apply([{ topic: 'room.a', id: 'u1', delta: -1 }, { topic: 'room.a', id: 'u2', delta: -5 }]), [
      { type: 'leave', topic: 'room.a', id: 'u1', info: { name: 'Ada' } },
      { type: 'leave', topic: 'room.a', id: 'u2', info: { name: 'Bo' } },
    ]);
    t.deepEqual(await a.store.list('room.a'), []);
    t.deepEqual(await a.store.occupancy('room.a'), { users: 0, connections: 0 });
    t.deepEqual(await a.store.occupancy('room.b'), { users: 1, connections: 1 });
  });

  test(`${setup.name}: two nodes racing give each join and each leave once`, async (t) => {
    const prefix = prefixFor(t, setup);
    const [a, b] = await Promise.all([open(t, setup, prefix, 'a', 60_000), open(t, setup, prefix, 'b', 60_000)]);
    const ids = users(40);
    const batch = (delta: number, topic: string): PresenceDelta[] => ids.map((id) => ({ topic, id, delta }));
    for (const topic of ['room.a', 'room.b', 'room.c']) {
      // Each node in batches of 5, interleaved: both add every user, then both remove them.
      const run = (node: StoreNode, delta: number): Promise<PresenceChange[]> => Promise.all(Array.from({ length: 8 }, (_, n) => node.store.apply(batch(delta, topic).slice(n * 5, n * 5 + 5)))).then((r) => r.flat());
      const joins = (await Promise.all([run(a, 1), run(b, 1)])).flat();
      t.deepEqual(joins.map(key).sort(), ids.map((id) => `join ${topic} ${id}`).sort());
      t.deepEqual(await a.store.occupancy(topic), { users: 40, connections: 80 });
      t.deepEqual(await b.store.list(topic), [...ids].sort().map((id) => ({ id, connections: 2 })));
      const leaves = (await Promise.all([run(a, -1), run(b, -1)])).flat();
      t.deepEqual(leaves.map(key).sort(), ids.map((id) => `leave ${topic} ${id}`).sort());
      t.deepEqual(await b.store.occupancy(topic), { users: 0, connections: 0 });
    }
  });

  test(`${setup.name}: a SIGKILLed node is reaped after ttlMs, each leave once though two survivors race`, async (t) => {
    const prefix = prefixFor(t, setup);
    const [a, b] = await Promise.all([open(t, setup, prefix, 'a', 400), open(t, setup, prefix, 'b', 400)]);
    await a.store.apply([{ topic: 'room.a', id: 'u1', delta: 1 }]);
    const dying = users(10).flatMap((id) => ['room.a', 'room.b', 'room.c'].map((topic) => ({ topic, id, info: { id }, delta: 1 })));
    const c = await child(t, setup, { PREFIX: prefix, NODE: 'c', TTL_MS: '400' }, dying);
    t.is(c.changes.length, 29); // u1 was on room.a already
    t.deepEqual(await b.store.occupancy('room.a'), { users: 10, connections: 11 });
    await c.kill();
    const killedAt = Date.now();
    const expected = dying.filter((d) => !(d.topic === 'room.a' && d.id === 'u1')).map((d) => `leave ${d.topic} ${d.id}`).sort();
    await eventually(() => a.reaped.length + b.reaped.length >= expected.length, 10_000, 'the leaves of the dead node');
    t.log(`${setup.name}: ${expected.length} leaves reaped ${Date.now() - killedAt} ms after SIGKILL (ttlMs 400)`);
    await until(async () => !(await live(setup, prefix)).includes(c.incarnation), 'the dead node forgotten');
    await a.store.beat();
    await b.store.beat();
    t.deepEqual([...a.reaped, ...b.reaped].map(key).sort(), expected);
    t.true([...a.reaped, ...b.reaped].every((change) => change.type === 'leave' && (change.info as { id: string }).id === change.id));
    t.deepEqual(await a.store.list('room.a'), [{ id: 'u1', info: { id: 'u1' }, connections: 1 }]); // the latest info stays
    t.deepEqual(await b.store.occupancy('room.b'), { users: 0, connections: 0 });
  });

  test(`${setup.name}: a node restarted with the same id doubles no one`, async (t) => {
    const prefix = prefixFor(t, setup);
    const a = await open(t, setup, prefix, 'a', 60_000);
    await a.store.apply([{ topic: 'room.a', id: 'u9', delta: 1 }]);
    const old = await child(t, setup, { PREFIX: prefix, NODE: 'n1', TTL_MS: '60000' }, [{ topic: 'room.a', id: 'u1', delta: 2 }, { topic: 'room.a', id: 'u2', delta: 1 }, { topic: 'room.b', id: 'u9', delta: 1 }]);
    t.is(old.changes.length, 3);
    await old.kill();
    const again = await open(t, setup, prefix, 'n1', 60_000);
    // Its old incarnation's streams died with it: reaped at start, not after ttlMs.
    t.deepEqual(again.reaped.map(key).sort(), ['leave room.a u1', 'leave room.a u2', 'leave room.b u9']);
    t.deepEqual(await again.store.apply([{ topic: 'room.a', id: 'u1', delta: 1 }]), [{ type: 'join', topic: 'room.a', id: 'u1' }]);
    t.deepEqual(await a.store.list('room.a'), [{ id: 'u1', connections: 1 }, { id: 'u9', connections: 1 }]);
    t.deepEqual(await a.store.occupancy('room.b'), { users: 0, connections: 0 });
  });

  test(`${setup.name}: disconnect reaches every live node and sums what each ended`, async (t) => {
    const prefix = prefixFor(t, setup);
    const [a, b, c] = await Promise.all([open(t, setup, prefix, 'a', 60_000, 1), open(t, setup, prefix, 'b', 60_000, 2), open(t, setup, prefix, 'c', 60_000, 4)]);
    t.is(await a.store.disconnect({ user: 'u1', reconnect: false }), 7);
    for (const node of [a, b, c]) t.deepEqual(node.disconnects, [{ user: 'u1', reconnect: false }]);
    t.is(await c.store.disconnect({ topic: 'room.a' }), 7);
    t.deepEqual(b.disconnects, [{ user: 'u1', reconnect: false }, { topic: 'room.a' }]);
  });
}

/** The liveness set's members. */
async function live(setup: Setup, prefix: string): Promise<string> {
  return cli(setup.ports()[0] as number, ...(setup.name === 'cluster' ? ['-c'] : []), 'zrange', liveKey(prefix), '0', '-1');
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10)); // a poll interval, bounded by the deadline
  }
}
