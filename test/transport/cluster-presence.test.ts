import test, { type ExecutionContext } from 'ava';
import { clusterPrimary, clusterTransport, createSystem } from '../../src/index.ts';
import { SseClient, eventually, startServer, type TestServer } from '../helpers/sse-client.ts';
import type { DisconnectSelector, PresenceChange, PresenceStore } from '../../src/transport/presence-types.ts';

// Presence over node:cluster, with the stores in the primary itself (the primary's own hub takes
// the same path as a worker's IPC channel, a microtask later). Serial: one primary per process.

interface Node {
  readonly store: PresenceStore;
  readonly reaped: PresenceChange[];
  readonly disconnects: DisconnectSelector[];
  stop(): Promise<void>;
}

async function node(t: ExecutionContext, channel: string, name: string, ended: number): Promise<Node> {
  const transport = clusterTransport({ channel });
  await transport.start({ topics: [], history: { size: 0, ttlMs: 0 }, deliver: () => undefined, restore: () => undefined, stateChanged: () => undefined });
  const store = transport.presence();
  const reaped: PresenceChange[] = [];
  const disconnects: DisconnectSelector[] = [];
  await store.start({ node: name, ttlMs: 1000, reaped: (changes) => void reaped.push(...changes), disconnect: (selector) => (disconnects.push(selector), ended) });
  t.teardown(() => transport.stop());
  return { store, reaped, disconnects, stop: () => transport.stop() };
}

const key = (c: PresenceChange): string => `${c.type} ${c.topic} ${c.id}`;

test.serial('the primary keeps one table per channel: each transition returned once, list and occupancy exact, disconnect sums every worker, a stopped worker\'s users leave through another', async (t) => {
  const primary = clusterPrimary();
  t.teardown(() => primary.stop());
  const [a, b, other] = [await node(t, 'p', 'a', 1), await node(t, 'p', 'b', 2), await node(t, 'q', 'c', 4)];
  const ids = Array.from({ length: 20 }, (_, n) => `u${n}`);
  const joins = (await Promise.all([a, b].map((n) => n.store.apply(ids.map((id) => ({ topic: 'room.a', id, info: { id }, delta: 1 })))))).flat();
  t.deepEqual(joins.map(key).sort(), ids.map((id) => `join room.a ${id}`).sort());
  t.deepEqual(await other.store.occupancy('room.a'), { users: 0, connections: 0 }, 'another channel is another table');
  t.deepEqual(await b.store.occupancy('room.a'), { users: 20, connections: 40 });
  t.deepEqual((await a.store.list('room.a'))[0], { id: 'u0', info: { id: 'u0' }, connections: 2 });
  t.deepEqual(await a.store.apply([{ topic: 'room.a', id: 'u0', delta: -5 }]), [], 'a store takes away only its own streams');
  t.deepEqual(await b.store.apply([{ topic: 'room.a', id: 'u0', delta: -1 }]), [{ type: 'leave', topic: 'room.a', id: 'u0', info: { id: 'u0' } }]);

  t.is(await a.store.disconnect({ user: 'u1' }), 3);
  t.deepEqual(b.disconnects, [{ user: 'u1' }]);
  t.deepEqual(other.disconnects, []);

  await b.stop();
  t.deepEqual(a.reaped, [], 'a still holds every user');
  t.deepEqual(await a.store.occupancy('room.a'), { users: 19, connections: 19 });
  const c = await node(t, 'p', 'c2', 0);
  await c.store.apply([{ topic: 'room.b', id: 'solo', delta: 2 }]);
  await c.stop();
  t.deepEqual(a.reaped, [{ type: 'leave', topic: 'room.b', id: 'solo' }], 'announced once, by a surviving store');
  t.is(await a.store.disconnect({ topic: 'room.a' }), 1, 'no other store left on the channel');
});

test.serial('the store may be started before its transport (as the system does): start waits until the transport has joined the primary', async (t) => {
  const primary = clusterPrimary();
  t.teardown(() => primary.stop());
  const transport = clusterTransport({ channel: 'early' });
  t.teardown(() => transport.stop());
  const started = transport.presence().start({ node: 'early', ttlMs: 1000, reaped: () => undefined, disconnect: () => 0 });
  await transport.start({ topics: [], history: { size: 0, ttlMs: 0 }, deliver: () => undefined, restore: () => undefined, stateChanged: () => undefined });
  await started;
  t.deepEqual(await transport.presence().apply([{ topic: 'room.a', id: 'u1', delta: 1 }]), [{ type: 'join', topic: 'room.a', id: 'u1' }]);
});

test.serial('two systems on one channel (createSystem({ presence, transport: clusterTransport() })): presence agrees, one join and one leave for a user\'s streams on both', async (t) => {
  const primary = clusterPrimary();
  t.teardown(() => primary.stop());
  const systems = ['one', 'two'].map((node) => createSystem({ topics: ['room.a'], presence: { topics: ['room.*'], events: true, batchMs: 10 }, transport: clusterTransport({ channel: 'systems' }), node, keepAlive: 0 }));
  const servers = await Promise.all(systems.map((system) => startServer(system, (app) => app.use(async (ctx, next) => {
    if (ctx.path === '/user') ctx.sse('room.a', undefined, { user: { id: String(ctx.query.id) } });
    else await next();
  }))));
  t.teardown(() => Promise.all(servers.map((server) => server.close())).then(() => undefined));
  const [one, two] = servers as [TestServer, TestServer];
  const watcher = await SseClient.connect(`${two.url}/stream?topics=room.a`);
  t.teardown(() => watcher.close());
  const streams = [await SseClient.connect(`${one.url}/user?id=u1`), await SseClient.connect(`${two.url}/user?id=u1`)];
  const presenceEvents = (): string[] => watcher.frames.filter((f) => f.event === 'presence').map((f) => f.data.join(''));
  await watcher.until(() => presenceEvents().length >= 1, 10_000, 'the join');
  await eventually(() => systems.every((system) => system.snapshot().presence.length === 1), 10_000, 'both nodes counting their stream');
  // Each node hands its count to the primary after batchMs: wait until the primary has both (a loaded
  // machine may take longer than the join event), then every node must answer exactly the same.
  const deadline = Date.now() + 10_000;
  while ((await systems[1]!.presence('room.a'))[0]?.connections !== 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  for (const system of systems) t.deepEqual(await system.presence('room.a'), [{ id: 'u1', connections: 2 }]);
  for (const stream of streams) stream.close();
  await watcher.until(() => presenceEvents().length >= 2, 10_000, 'the leave');
  for (const system of systems) t.deepEqual(await system.occupancy('room.a'), { users: 0, connections: 0 });
  t.deepEqual(presenceEvents(), ['{"type":"join","id":"u1"}', '{"type":"leave","id":"u1"}']);
});
