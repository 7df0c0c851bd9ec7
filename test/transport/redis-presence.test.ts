import test, { type ExecutionContext } from 'ava';
import { fork } from 'node:child_process';
import type { PresenceChange, PresenceDelta } from '../../src/transport/presence-types.ts';
import { liveKey } from '../../src/transport/redis-presence-scripts.ts';
import { openStore, type StoreNode, type Where } from '../helpers/presence-store.ts';
import { deleteKeys } from '../helpers/redis-keys.ts';
import { redisTransport } from '../../src/index.ts';
import { keySlot } from '../../src/transport/redis-keys.ts';
import { PrivateRedis, RedisCluster, cli } from '../helpers/redis-servers.ts';
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
function child(t: ExecutionContext, setup: Setup, env: Record<string, string>, deltas: PresenceDelta[]): Promise<{ kill(): Promise<void>; signal(name: NodeJS.Signals): void; incarnation: string; changes: PresenceChange[] }> {
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
      resolve({ kill, signal: (name) => proc.kill(name), incarnation: message.incarnation, changes: message.changes });
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
    // Survivors at ttlMs 3000: one whose event loop stalls past ¾ ttlMs (seen at load 10 on 2 cores
    // with 1000) would itself be reaped while alive. They still beat every 750 ms.
    const [a, b] = await Promise.all([open(t, setup, prefix, 'a', 3000), open(t, setup, prefix, 'b', 3000)]);
    await a.store.apply([{ topic: 'room.a', id: 'u1', delta: 1 }]);
    const dying = users(10).flatMap((id) => ['room.a', 'room.b', 'room.c'].map((topic) => ({ topic, id, info: { id }, delta: 1 })));
    const c = await child(t, setup, { PREFIX: prefix, NODE: 'c', TTL_MS: '1000' }, dying);
    t.is(c.changes.length, 29); // u1 was on room.a already
    t.deepEqual(await b.store.occupancy('room.a'), { users: 10, connections: 11 });
    await c.kill();
    const killedAt = Date.now();
    const expected = dying.filter((d) => !(d.topic === 'room.a' && d.id === 'u1')).map((d) => `leave ${d.topic} ${d.id}`).sort();
    await eventually(() => a.reaped.length + b.reaped.length >= expected.length, 10_000, 'the leaves of the dead node');
    t.log(`${setup.name}: ${expected.length} leaves reaped ${Date.now() - killedAt} ms after SIGKILL (its ttlMs 1000, the survivors beat every 750 ms)`);
    await until(async () => !(await live(setup, prefix)).includes(c.incarnation), 'the dead node forgotten');
    await a.store.beat();
    await b.store.beat();
    t.deepEqual([...a.reaped, ...b.reaped].map(key).sort(), expected);
    t.true([...a.reaped, ...b.reaped].every((change) => change.type === 'leave' && (change.info as { id: string }).id === change.id));
    t.deepEqual(await a.store.list('room.a'), [{ id: 'u1', info: { id: 'u1' }, connections: 1 }]); // the latest info stays
    t.deepEqual(await b.store.occupancy('room.b'), { users: 0, connections: 0 });
  });

  test(`${setup.name}: a node paused past ttlMs is reaped, and puts its users back when it runs again`, async (t) => {
    const prefix = prefixFor(t, setup);
    const a = await open(t, setup, prefix, 'a', 3000);
    const paused = await child(t, setup, { PREFIX: prefix, NODE: 'p', TTL_MS: '1000' }, [{ topic: 'room.a', id: 'u1', delta: 2 }, { topic: 'room.b', id: 'u2', info: 'Bo', delta: 1 }]);
    paused.signal('SIGSTOP');
    t.teardown(() => paused.signal('SIGCONT'));
    await eventually(() => a.reaped.length === 2, 10_000, 'the paused node reaped');
    t.deepEqual(a.reaped.map(key).sort(), ['leave room.a u1', 'leave room.b u2']);
    t.deepEqual(await a.store.occupancy('room.a'), { users: 0, connections: 0 });
    paused.signal('SIGCONT');
    // Its next heartbeat finds it was reaped: it writes its entries again (and announces the joins itself).
    // On a Cluster the two topics are two slots, written by one script each: wait for both.
    await until(async () => (await a.store.occupancy('room.a')).connections === 2 && (await a.store.occupancy('room.b')).connections === 1, 'the paused node back on both topics');
    t.deepEqual(await a.store.list('room.b'), [{ id: 'u2', info: 'Bo', connections: 1 }]);
    t.true((await live(setup, prefix)).includes(paused.incarnation));
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

/** What a client sends itself (a round trip each); everything else counted was run inside a script. */
const SENT = ['evalsha', 'eval', 'sadd', 'smembers', 'zrange', 'hvals', 'xrevrange'];

/**
 * Calls per command since the last CONFIG RESETSTAT, summed over `ports`: `sent` are round trips
 * from a node, `inScript` the commands its scripts ran. Leaves out the test's own commands and the
 * readers' blocking XREADs.
 */
async function commandStats(ports: readonly number[]): Promise<{ sent: Record<string, number>; inScript: Record<string, number> }> {
  const sent: Record<string, number> = {};
  const inScript: Record<string, number> = {};
  for (const port of ports) {
    for (const line of (await cli(port, 'info', 'commandstats')).split('\n')) {
      const match = /^cmdstat_([a-z|]+):calls=(\d+)/.exec(line.trim());
      const name = match?.[1] as string;
      if (!match || name.startsWith('config') || ['info', 'xread', 'cluster', 'ping', 'client', 'hello', 'command', 'zscore', 'time'].includes(name)) continue;
      const into = SENT.includes(name) ? sent : inScript;
      into[name] = (into[name] ?? 0) + Number(match[2]);
    }
  }
  return { sent, inScript };
}

async function resetStats(ports: readonly number[]): Promise<void> {
  for (const port of ports) await cli(port, 'config', 'resetstat');
}

/** Three topics on three different masters of the Cluster (or any three on one Redis). */
function spread(): string[] {
  const slots = (cluster?.servers ?? []).length;
  if (slots === 0) return ['room.a', 'room.b', 'room.c'];
  // Slots 0-5460, 5461-10922, 10923-16383 (redis-cli --cluster create's split of 3 masters).
  const found: string[] = [];
  for (let n = 0; found.length < 3; n++) {
    const slot = keySlot(`{room.${n}}`);
    if (Math.floor(slot / 5462) === found.length) found.push(`room.${n}`);
  }
  return found;
}

for (const [name, make] of [['redis', async () => { const server = await PrivateRedis.start(); return { where: { url: server.url } as Where, ports: [server.port], stop: () => server.stop() }; }], ['cluster', async () => ({ where: { cluster: { rootNodes: cluster?.rootNodes ?? [] } } as Where, ports: (cluster?.servers ?? []).map((s) => s.port), stop: async () => undefined })]] as const) {
  // Serial: ava runs it before the concurrent tests, so nothing else touches the Cluster meanwhile.
  test.serial(`${name}: Redis commands per join batch, leave batch, heartbeat and reap (INFO commandstats)`, async (t) => {
    const at = await make();
    t.teardown(() => at.stop());
    const setup: Setup = { name, where: () => at.where, ports: () => at.ports };
    const prefix = prefixFor(t, setup);
    const a = await open(t, setup, prefix, 'a', 60_000);
    const topics = name === 'cluster' ? spread() : ['room.a', 'room.b', 'room.c'];
    const ten = (topic: string, delta: number, from = 1): PresenceDelta[] => users(10, from).map((id) => ({ topic, id, delta, info: { id } }));
    await a.store.apply(topics.map((topic) => ({ topic, id: 'warm', delta: 1 }))); // loads the scripts, registers the topics
    const warm = await openStore(at.where, prefix, 'w', 60_000);
    await warm.store.apply(topics.map((topic) => ({ topic, id: 'warm', delta: 1 })));
    await warm.stop(); // a graceful stop reaps itself: loads the reap scripts on every master
    const counted = async (what: string, run: () => Promise<unknown>): Promise<Record<string, number>> => {
      await resetStats(at.ports);
      await run();
      const { sent, inScript } = await commandStats(at.ports);
      t.log(`${name}: ${what}: sent ${JSON.stringify(sent)}, run by the scripts ${JSON.stringify(inScript)}`);
      return sent;
    };
    t.deepEqual(await counted('10 joins on one topic', () => a.store.apply(ten(topics[0] as string, 1))), { evalsha: 1 });
    t.deepEqual(await counted('10 leaves on one topic', () => a.store.apply(ten(topics[0] as string, -1))), { evalsha: 1 });
    t.deepEqual(await counted('30 joins on three topics', () => a.store.apply(topics.flatMap((topic) => ten(topic, 1)))), { evalsha: name === 'cluster' ? 3 : 1 });
    t.deepEqual(await counted('a batch on a topic new to the node', () => a.store.apply(ten('room.new', 1))), { evalsha: 1, sadd: 1 });
    t.deepEqual(await counted('one heartbeat', () => a.store.beat()), { evalsha: 1 });
    const dead = await child(t, setup, { PREFIX: prefix, NODE: 'c', TTL_MS: '300' }, topics.flatMap((topic) => ten(topic, 1, 11)));
    await dead.kill();
    const port = at.ports[0] as number;
    const flag = name === 'cluster' ? ['-c'] : [];
    await until(async () => {
      const deadline = Number(await cli(port, ...flag, 'zscore', liveKey(prefix), dead.incarnation));
      const [seconds = '0', micros = '0'] = (await cli(port, ...flag, 'time')).split('\n');
      return Number(seconds) * 1000 + Number(micros) / 1000 > deadline;
    }, 'the dead node\'s deadline');
    const reap = await counted('a heartbeat that reaps a dead node with entries on three topics', () => a.store.beat());
    t.deepEqual(reap, { evalsha: name === 'cluster' ? 5 : 3, smembers: 1 });
    t.is(a.reaped.length, 30);
  });
}

test('a batch rejected while Redis is away is not lost: once Redis is back (emptied by its restart), the next heartbeat writes the node\'s entries again and hands the joins to the host', async (t) => {
  const server = await PrivateRedis.start();
  t.teardown(() => server.stop());
  const a = await openStore({ url: server.url }, 'away:', 'a', 400);
  t.teardown(() => a.stop());
  t.deepEqual(await a.store.apply([{ topic: 'room.a', id: 'u1', delta: 1 }]), [{ type: 'join', topic: 'room.a', id: 'u1' }]);
  await server.down();
  await t.throwsAsync(a.store.apply([{ topic: 'room.a', id: 'u2', info: 'Bo', delta: 1 }]));
  await server.up();
  await until(async () => (await a.store.occupancy('room.a').catch(() => ({ connections: 0 }))).connections === 2, 'the entries written again');
  t.deepEqual(await a.store.list('room.a'), [{ id: 'u1', connections: 1 }, { id: 'u2', info: 'Bo', connections: 1 }]);
  t.deepEqual(a.reaped.map(key).sort(), ['join room.a u1', 'join room.a u2']);
});

test('the store may be started before its transport (as the system does): start waits until the transport has connected, and rejects if it is stopped first', async (t) => {
  const prefix = `presence-early:${process.pid}:`;
  t.teardown(() => deleteKeys(6379, prefix));
  const host = { node: 'early', ttlMs: 60_000, reaped: () => undefined, disconnect: () => 0 };
  const transport = redisTransport({ url: 'redis://127.0.0.1:6379', prefix, blockMs: 1000 });
  t.teardown(() => transport.stop());
  const started = transport.presence().start(host);
  await transport.start({ topics: [], history: { size: 0, ttlMs: 0 }, deliver: () => undefined, restore: () => undefined, stateChanged: () => undefined });
  await started;
  t.deepEqual(await transport.presence().apply([{ topic: 'room.a', id: 'u1', delta: 1 }]), [{ type: 'join', topic: 'room.a', id: 'u1' }]);
  const never = redisTransport({ url: 'redis://127.0.0.1:6379', prefix });
  const waiting = never.presence().start(host);
  await never.stop();
  await t.throwsAsync(waiting, { message: /stopped before it connected/ });
});
