import type { TestFn } from 'ava';
import { createSystem, DuplicateEventIdError, InvalidChunkError, SystemStoppedError, UnknownTopicError, type SseSystem, type Transport } from '../../src/index.ts';
import { SseClient, startServer, eventually, type TestServer } from '../helpers/sse-client.ts';

/**
 * One contract, every transport (as phoenix_pubsub runs one suite against each adapter): real
 * systems behind real HTTP streams, `nodes` of them sharing the transport's bus (one for memory).
 */
export interface TransportUnderTest {
  /** How many systems can share one bus (memory: 1). */
  readonly nodes: number;
  /** A fresh transport on the bus named `bus` (a test's own key prefix, say). */
  make(bus: string): Transport;
  /** Removes what the bus left behind (keys). */
  cleanup(bus: string): Promise<void>;
}

const topics = ['a', 'b'];
let buses = 0;

interface Cluster {
  systems: SseSystem[];
  servers: TestServer[];
}

async function nodes(t: { teardown(fn: () => Promise<void>): void; title: string }, under: TransportUnderTest, history?: { size: number; ttlMs: number }, declared: readonly string[] = topics): Promise<Cluster> {
  const bus = `conformance:${process.pid}:${(buses += 1)}:`;
  const systems = Array.from({ length: under.nodes }, (_, n) => createSystem({ topics: declared, transport: under.make(bus), node: `n${n}`, keepAlive: 0, history }));
  await Promise.all(systems.map((system) => system.ready()));
  const servers = await Promise.all(systems.map((system) => startServer(system)));
  t.teardown(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await under.cleanup(bus);
  });
  return { systems, servers };
}

async function streaming(system: SseSystem, count: number): Promise<void> {
  await eventually(() => system.snapshot().connections.filter((c) => c.state === 'streaming').length === count, 5000, `${count} streaming connections on ${system.node}`);
}

/** Every node has delivered `count` events of `topic` into its history (remote transports are asynchronous). */
async function delivered(systems: readonly SseSystem[], topic: string, count: number): Promise<void> {
  for (const system of systems) await eventually(() => system.snapshot().topics.find((x) => x.topic === topic)?.history === count, 5000, `${count} events of ${topic} on ${system.node}`);
}

const ids = (client: SseClient): string[] => client.events.map((f) => f.id ?? '');
const reset = (reason: string, lastEventId: string) => (client: SseClient) => {
  const frame = client.frames.find((f) => f.event === 'sse-reset');
  return frame !== undefined && JSON.parse(frame.data.join('\n')).reason === reason && JSON.parse(frame.data.join('\n')).lastEventId === lastEventId;
};

export function conformance(test: TestFn, name: string, under: TransportUnderTest): void {
  test(`${name}: every client on every node gets every event of its topics once, and a topic has one order everywhere`, async (t) => {
    const { systems, servers } = await nodes(t, under);
    const clients = await Promise.all(servers.flatMap((server) => [SseClient.connect(`${server.url}/stream?topics=a`), SseClient.connect(`${server.url}/stream?topics=a,b`)]));
    await Promise.all(systems.map((system) => streaming(system, 2)));
    // Publishers on every node, interleaved and not awaited one by one: the transport orders them.
    const sent: Promise<void>[] = [];
    for (let n = 0; n < 30; n++) sent.push(Promise.resolve(systems[n % systems.length]?.notify({ topic: n % 3 === 0 ? 'b' : 'a', id: `e${n}`, data: { data: `x${n}` } })));
    await Promise.all(sent);
    const onlyA = clients.filter((_, n) => n % 2 === 0);
    const both = clients.filter((_, n) => n % 2 === 1);
    await Promise.all([...onlyA.map((c) => c.untilEvents(20)), ...both.map((c) => c.untilEvents(30))]);
    for (const client of clients) t.is(new Set(ids(client)).size, ids(client).length, 'no duplicate');
    const orderA = ids(onlyA[0] as SseClient);
    t.deepEqual([...orderA].sort(), Array.from({ length: 30 }, (_, n) => `e${n}`).filter((_, n) => n % 3 !== 0).sort());
    for (const client of [...onlyA, ...both]) t.deepEqual(ids(client).filter((id) => Number(id.slice(1)) % 3 !== 0), orderA);
    const orderB = ids(both[0] as SseClient).filter((id) => Number(id.slice(1)) % 3 === 0);
    for (const client of both) t.deepEqual(ids(client).filter((id) => Number(id.slice(1)) % 3 === 0), orderB);
    // Each node's publisher counted its own notifies; every node wrote every event to its clients.
    t.is(systems.reduce((sum, s) => sum + s.snapshot().events.notified, 0), 30);
    for (const system of systems) t.is(system.snapshot().events.delivered, 50);
    for (const client of clients) client.close();
  });

  test(`${name}: a client that reconnects with Last-Event-ID to any node gets exactly what it missed, then live`, async (t) => {
    const { systems, servers } = await nodes(t, under);
    for (const id of [1, 2, 3, 4, 5]) await systems[0]?.notify({ topic: 'a', id, data: { data: `v${id}` } });
    await delivered(systems, 'a', 5);
    const last = servers[servers.length - 1] as TestServer;
    const again = await SseClient.connect(`${last.url}/stream?topics=a`, { 'last-event-id': '2' });
    await again.untilEvents(3);
    await systems[0]?.notify({ topic: 'a', id: 6, data: { data: 'v6' } });
    await again.untilEvents(4);
    t.is(again.raw, [3, 4, 5, 6].map((id) => `id: ${id}\ndata: v${id}\n\n`).join(''));
    again.close();
  });

  test(`${name}: an unknown id and an aged-out id get sse-reset with their reasons`, async (t) => {
    const { systems, servers } = await nodes(t, under, { size: 3, ttlMs: 0 });
    for (const id of [1, 2, 3, 4, 5, 6]) await systems[0]?.notify({ topic: 'a', id, data: { data: `v${id}` } });
    await delivered(systems, 'a', 3);
    for (const server of servers) {
      const unknown = await SseClient.connect(`${server.url}/stream?topics=a`, { 'last-event-id': 'nope' });
      await unknown.until(reset('unknown-id', 'nope'), 5000, 'sse-reset unknown-id');
      const aged = await SseClient.connect(`${server.url}/stream?topics=a`, { 'last-event-id': '1' });
      await aged.until(reset('aged-out', '1'), 5000, 'sse-reset aged-out');
      t.deepEqual([unknown.events.length, aged.events.length], [1, 1], 'the reset frame and nothing else');
      unknown.close();
      aged.close();
    }
  });

  test(`${name}: a duplicate id on a topic throws DuplicateEventIdError on every node once delivered; another topic may reuse it`, async (t) => {
    const { systems } = await nodes(t, under);
    await systems[0]?.notify({ topic: 'a', id: 'same', data: { data: 'one' } });
    await delivered(systems, 'a', 1);
    for (const system of systems) t.throws(() => system.notify({ topic: 'a', id: 'same', data: { data: 'two' } }), { instanceOf: DuplicateEventIdError });
    await systems[0]?.notify({ topic: 'b', id: 'same', data: { data: 'three' } });
    await delivered(systems, 'b', 1);
    t.deepEqual(systems.map((s) => s.snapshot().topics.map((x) => x.history)), systems.map(() => [1, 1]));
  });

  test(`${name}: bad input throws synchronously and nothing is sent`, async (t) => {
    const { systems } = await nodes(t, under);
    const system = systems[0] as SseSystem;
    t.throws(() => system.notify({ topic: 'zzz', id: 1, data: { data: 'x' } }), { instanceOf: UnknownTopicError });
    t.throws(() => system.notify({ topic: 'a', id: 'a\nb', data: { data: 'x' } }), { instanceOf: InvalidChunkError });
    await system.notify({ topic: 'a', id: 'ok', data: { data: 'x' } });
    await delivered(systems, 'a', 1);
    t.is(system.snapshot().events.notified, 1);
    t.is(system.snapshot().transport.pending, 0);
  });

  test(`${name}: a stopped node says stopped, refuses notify, and no longer receives; the others go on`, async (t) => {
    const { systems } = await nodes(t, under);
    const [first, ...rest] = systems as [SseSystem, ...SseSystem[]];
    await first.stop();
    await first.stop(); // idempotent
    t.is(first.snapshot().transport.state, 'stopped');
    t.throws(() => first.notify({ topic: 'a', id: 1, data: { data: 'x' } }), { instanceOf: SystemStoppedError });
    for (const [n, system] of rest.entries()) await system.notify({ topic: 'a', id: `r${n}`, data: { data: 'y' } });
    await delivered(rest, 'a', rest.length);
    for (const system of rest) t.is(system.snapshot().transport.state, 'connected');
  });

  test(`${name}: families: a user's stream on one node gets what another notified to user.N, a first subscriber on a node replays exactly, then live`, async (t) => {
    const { systems, servers } = await nodes(t, under, undefined, ['news', 'user.*']);
    const first = systems[0] as SseSystem;
    // Notified before anyone anywhere listens to user.7: only the transport (and the publisher's history) has them.
    for (const id of ['u1', 'u2']) await first.notify({ topic: 'user.7', id, data: { data: id } });
    const last = servers[servers.length - 1] as TestServer;
    const x = await SseClient.connect(`${last.url}/stream?topics=user.7`, { 'last-event-id': 'u1' });
    await x.untilEvents(1);
    await streaming(systems[systems.length - 1] as SseSystem, 1);
    await first.notify({ topic: 'user.7', id: 'u3', data: { data: 'u3' } });
    await x.untilEvents(2);
    t.is(x.raw, 'id: u2\ndata: u2\n\nid: u3\ndata: u3\n\n');
    // A reconnect to another node (the first subscriber of user.7 there) replays exactly what it missed.
    const other = servers[1 % servers.length] as TestServer;
    const y = await SseClient.connect(`${other.url}/stream?topics=user.7`, { 'last-event-id': 'u2' });
    await y.untilEvents(1);
    await streaming(systems[1 % systems.length] as SseSystem, systems.length === 1 ? 2 : 1);
    await first.notify({ topic: 'user.7', id: 'u4', data: { data: 'u4' } });
    await y.untilEvents(2);
    await x.untilEvents(3);
    t.is(y.raw, 'id: u3\ndata: u3\n\nid: u4\ndata: u4\n\n');
    t.deepEqual(ids(x), ['u2', 'u3', 'u4']);
    x.close();
    y.close();
  });

  test(`${name}: a pattern subscription gets a family's topics created after it, each event once`, async (t) => {
    const { systems, servers } = await nodes(t, under, undefined, ['news', 'room.*']);
    const last = servers[servers.length - 1] as TestServer;
    const named = await SseClient.connect(`${last.url}/stream?topics=room.1`);
    await streaming(systems[systems.length - 1] as SseSystem, 1);
    await (systems[0] as SseSystem).notify({ topic: 'room.1', id: 'r1', data: { data: 'one' } });
    await named.untilEvents(1);
    const all = await SseClient.connect(`${last.url}/stream?topics=${encodeURIComponent('room.1,room.*')}`);
    await streaming(systems[systems.length - 1] as SseSystem, 2);
    await (systems[0] as SseSystem).notify({ topic: 'room.1', id: 'r2', data: { data: 'two' } });
    await all.untilEvents(1);
    t.deepEqual(ids(all), ['r2']);
    named.close();
    all.close();
  });

  test(`${name}: a pattern subscriber gets a family's topic first notified on another node (never named on its own), from its first event, each topic in order, once`, async (t) => {
    const { systems, servers } = await nodes(t, under, undefined, ['news', 'room.*']);
    const last = servers[servers.length - 1] as TestServer;
    const sub = await SseClient.connect(`${last.url}/stream?topics=${encodeURIComponent('room.*')}`);
    await streaming(systems[systems.length - 1] as SseSystem, 1);
    const first = systems[0] as SseSystem;
    await first.notify({ topic: 'room.9', id: 'r1', data: { data: 'nine 1' } });
    await sub.untilEvents(1);
    t.is(sub.raw, 'id: r1\ndata: nine 1\n\n', 'the event that created the topic is delivered, exactly');
    for (const id of ['r2', 'r3']) await first.notify({ topic: 'room.9', id, data: { data: id } });
    await first.notify({ topic: 'room.10', id: 't1', data: { data: 'ten' } });
    await (systems[systems.length - 1] as SseSystem).notify({ topic: 'room.11', id: 'e1', data: { data: 'eleven' } });
    await sub.untilEvents(5);
    t.deepEqual(ids(sub).filter((id) => id.startsWith('r')), ['r1', 'r2', 'r3']);
    t.deepEqual([...ids(sub)].sort(), ['e1', 'r1', 'r2', 'r3', 't1']);
    // Nothing twice: a marker on room.9 comes after anything of room.9 that could still come again.
    await first.notify({ topic: 'room.9', id: 'r4', data: { data: 'nine 4' } });
    await sub.untilEvents(6);
    t.deepEqual(ids(sub).filter((id) => id.startsWith('r')), ['r1', 'r2', 'r3', 'r4'], 'nothing twice');
    t.is(sub.events.length, 6, 'nothing twice');
    sub.close();
  });

  test(`${name}: runtime registration: registerTopic on every node carries events; unregisterTopic ends that node's streams of it with a retry`, async (t) => {
    const { systems, servers } = await nodes(t, under);
    for (const system of systems) system.registerTopic('c');
    const last = servers[servers.length - 1] as TestServer;
    const client = await SseClient.connect(`${last.url}/stream?topics=c`);
    const keep = await SseClient.connect(`${last.url}/stream?topics=a`);
    await streaming(systems[systems.length - 1] as SseSystem, 2);
    await (systems[0] as SseSystem).notify({ topic: 'c', id: 'c1', data: { data: 'x' } });
    await client.untilEvents(1);
    (systems[systems.length - 1] as SseSystem).unregisterTopic('c');
    await client.untilEnded();
    t.regex(client.raw, /^id: c1\ndata: x\n\nretry: \d+\n\n$/);
    t.is(keep.raw, '');
    t.throws(() => (systems[systems.length - 1] as SseSystem).notify({ topic: 'c', id: 'c2', data: { data: 'y' } }), { instanceOf: UnknownTopicError });
    keep.close();
  });

  test(`${name}: reclaim: created topics with no subscriber and expired history leave every node`, async (t) => {
    const { systems, servers } = await nodes(t, under, { size: 10, ttlMs: 300 }, ['news', 'user.*']);
    const last = servers[servers.length - 1] as TestServer;
    const client = await SseClient.connect(`${last.url}/stream?topics=user.1`);
    await streaming(systems[systems.length - 1] as SseSystem, 1);
    for (let n = 1; n <= 5; n++) await (systems[0] as SseSystem).notify({ topic: `user.${n}`, id: `e${n}`, data: { data: 'x' } });
    await client.untilEvents(1);
    client.close();
    for (const system of systems) await eventually(() => system.snapshot().topicCount.live === 1, 10_000, `user topics reclaimed on ${system.node}`);
    for (const system of systems) t.deepEqual(Object.keys(system.snapshot().history), ['news']);
  });
}
