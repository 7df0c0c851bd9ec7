import test from 'ava';
import { SimulatedClock } from 'xstate';
import { createSystem, DuplicateEventIdError, InvalidOptionError, type SseSystem } from '../../src/index.ts';
import { SseClient, startServer, eventually } from '../helpers/sse-client.ts';

const topics = ['prices', 'news', 'other'];

function publish(system: SseSystem, topic: string, ids: Array<string | number>): void {
  for (const id of ids) system.notify({ id, topic, data: { data: `${topic}:${id}` } });
}

async function streaming(system: SseSystem, count: number): Promise<void> {
  await eventually(() => {
    const { connections } = system.snapshot();
    return connections.length === count && connections.every((c) => c.state === 'streaming');
  }, 5000, `${count} streaming connections`);
}

function reset(reason: string, lastEventId: string, message: string): string {
  return `event: sse-reset\ndata: ${JSON.stringify({ reason, lastEventId, message })}\n\n`;
}

test('read 3, disconnect, 5 more notified, reconnect with Last-Event-ID → exactly those 5, then live', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const first = await SseClient.connect(`${srv.url}/stream?topics=prices`);
  await streaming(system, 1);
  publish(system, 'prices', [1, 2, 3]);
  await first.untilEvents(3);
  first.close();
  await eventually(() => system.snapshot().connections.length === 0);
  publish(system, 'prices', [4, 5, 6, 7, 8]);
  publish(system, 'news', ['n1']);

  const again = await SseClient.connect(`${srv.url}/stream?topics=prices&initial=state`, { 'last-event-id': '3' });
  await again.untilEvents(6);
  publish(system, 'prices', [9]);
  await again.untilEvents(7);
  t.is(
    again.raw,
    'data: state\n\n' + [4, 5, 6, 7, 8, 9].map((id) => `id: ${id}\ndata: prices:${id}\n\n`).join(''),
  );
  t.is(system.snapshot().connections[0]?.lastEventId, '9');
  again.close();
});

test('lastEventId query parameter replays on a first connect; the header wins over it', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  publish(system, 'prices', ['a', 'b', 'c']);
  const byQuery = await SseClient.connect(`${srv.url}/stream?topics=prices&lastEventId=a`);
  await byQuery.untilEvents(2);
  t.deepEqual(byQuery.events.map((f) => f.id), ['b', 'c']);
  const both = await SseClient.connect(`${srv.url}/stream?topics=prices&lastEventId=a`, { 'last-event-id': 'b' });
  await both.untilEvents(1);
  publish(system, 'prices', ['d']);
  await both.untilEvents(2);
  t.deepEqual(both.events.map((f) => f.id), ['c', 'd']);
  byQuery.close();
  both.close();
});

test('replay across topics keeps notify order and skips topics the stream is not on', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  publish(system, 'prices', ['p1']);
  publish(system, 'news', ['n1']);
  publish(system, 'other', ['o1']);
  publish(system, 'prices', ['p2']);
  publish(system, 'news', ['n2', 'n3']);
  publish(system, 'prices', ['p3']);
  const client = await SseClient.connect(`${srv.url}/stream?topics=prices,news`, { 'last-event-id': 'n1' });
  await client.untilEvents(4);
  t.deepEqual(client.events.map((f) => f.id), ['p2', 'n2', 'n3', 'p3']);
  client.close();
});

test('replay uses the wire id (chunk.id ?? event.id)', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  system.notify({ id: 1, topic: 'prices', data: { data: 'one', id: 'wire-1' } });
  system.notify({ id: 2, topic: 'prices', data: { data: 'two' } });
  const client = await SseClient.connect(`${srv.url}/stream?topics=prices`, { 'last-event-id': 'wire-1' });
  await client.untilEvents(1);
  t.is(client.raw, 'id: 2\ndata: two\n\n');
  client.close();
});

test('an unknown id gets sse-reset (unknown-id) before live events; history off gets history-off', async (t) => {
  const system = createSystem({ topics, keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  publish(system, 'prices', [1]);
  const client = await SseClient.connect(`${srv.url}/stream?topics=prices&initial=s`, { 'last-event-id': 'nope' });
  await client.untilEvents(2);
  publish(system, 'prices', [2]);
  await client.untilEvents(3);
  t.is(
    client.raw,
    'data: s\n\n' + reset('unknown-id', 'nope', 'this id was never notified on these topics: refetch the full state') + 'id: 2\ndata: prices:2\n\n',
  );
  client.close();

  const off = createSystem({ topics, keepAlive: 0, history: { size: 0 } });
  const srvOff = await startServer(off);
  t.teardown(srvOff.close);
  off.notify({ id: 1, topic: 'prices', data: { data: 'x' } });
  off.notify({ id: 1, topic: 'prices', data: { data: 'same id is fine without history' } });
  const c2 = await SseClient.connect(`${srvOff.url}/stream?topics=prices`, { 'last-event-id': '1' });
  await c2.untilEvents(1);
  t.is(c2.raw, reset('history-off', '1', 'replay history is off on this server: refetch the full state'));
  t.deepEqual(off.snapshot().topics.map((x) => x.history), [0, 0, 0]);
  c2.close();
});

test('an id pushed out by size gets sse-reset (aged-out); history keeps the last `size` events', async (t) => {
  const system = createSystem({ topics, keepAlive: 0, history: { size: 3 } });
  const srv = await startServer(system);
  t.teardown(srv.close);
  publish(system, 'prices', [1, 2, 3, 4, 5]);
  t.is(system.snapshot().topics[0]?.history, 3);
  const old = await SseClient.connect(`${srv.url}/stream?topics=prices`, { 'last-event-id': '1' });
  const kept = await SseClient.connect(`${srv.url}/stream?topics=prices`, { 'last-event-id': '3' });
  await old.untilEvents(1);
  await kept.untilEvents(2);
  t.is(old.raw, reset('aged-out', '1', 'events after this id are no longer in the replay history: refetch the full state'));
  t.deepEqual(kept.events.map((f) => f.id), ['4', '5']);
  old.close();
  kept.close();
});

test('ttlMs: an expired event is not replayed (a reset if it leaves a gap) and not delivered from a mailbox', async (t) => {
  const clock = new SimulatedClock();
  const system = createSystem({ topics, keepAlive: 0, clock, history: { size: 100, ttlMs: 1000 } });
  const srv = await startServer(system);
  t.teardown(srv.close);
  publish(system, 'prices', ['t0']);
  clock.increment(600);
  publish(system, 'prices', ['t600']);
  clock.increment(500); // t=1100: t0 expired, t600 not
  // t0 itself is gone, but nothing after it is: the replay has no gap.
  const fresh = await SseClient.connect(`${srv.url}/stream?topics=prices`, { 'last-event-id': 't0' });
  await fresh.untilEvents(1);
  t.is(fresh.raw, 'id: t600\ndata: prices:t600\n\n');
  t.is(system.snapshot().topics[0]?.history, 1);
  clock.increment(600); // t=1700: t600 expired too
  const late = await SseClient.connect(`${srv.url}/stream?topics=prices`, { 'last-event-id': 't0' });
  await late.untilEvents(1);
  t.is(late.raw, reset('aged-out', 't0', 'events after this id are no longer in the replay history: refetch the full state'));
  const none = await SseClient.connect(`${srv.url}/stream?topics=prices&initial=x`, { 'last-event-id': 't600' });
  await none.untilEvents(1);
  t.is(none.raw, 'data: x\n\n'); // nothing after t600 was lost, and nothing expired is replayed
  await streaming(system, 3);
  t.is(system.snapshot().topics[0]?.history, 0);

  // In a mailbox: notified, then the clock passes the TTL before the write happens.
  late.close();
  none.close();
  await eventually(() => system.snapshot().connections.length === 1);
  publish(system, 'prices', ['m1', 'm2']);
  clock.increment(1001);
  publish(system, 'prices', ['m3']);
  await fresh.untilEvents(3);
  t.is(
    fresh.raw,
    'id: t600\ndata: prices:t600\n\n' +
      reset('aged-out', 'm2', 'events after this id are no longer in the replay history: refetch the full state') +
      'id: m3\ndata: prices:m3\n\n',
  );
  t.is(system.snapshot().connections[0]?.delivered, 2);
  fresh.close();
});

test('replay across topics resets when a busy topic lost events newer than the client\'s id', async (t) => {
  const system = createSystem({ topics, keepAlive: 0, history: { size: 3 } });
  const srv = await startServer(system);
  t.teardown(srv.close);
  publish(system, 'news', ['n1']); // the client's last id, on the quiet topic
  publish(system, 'prices', ['p1', 'p2', 'p3', 'p4']); // p1 leaves the size-3 log: newer than n1
  const gap = await SseClient.connect(`${srv.url}/stream?topics=news,prices`, { 'last-event-id': 'n1' });
  await gap.untilEvents(1);
  t.is(gap.raw, reset('aged-out', 'n1', 'events after this id are no longer in the replay history: refetch the full state'));
  const fine = await SseClient.connect(`${srv.url}/stream?topics=news,prices`, { 'last-event-id': 'p1' });
  await fine.untilEvents(3);
  t.deepEqual(fine.events.map((f) => f.id), ['p2', 'p3', 'p4']); // p1 left, but nothing after it did
  gap.close();
  fine.close();
});

test('a duplicate id on one topic is an error at notify, nothing is written; other topics and aged-out ids are fine', async (t) => {
  const system = createSystem({ topics, keepAlive: 0, history: { size: 2 } });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=prices,news`);
  await streaming(system, 1);
  publish(system, 'prices', ['x']);
  const error = t.throws(() => publish(system, 'prices', ['x']), { instanceOf: DuplicateEventIdError });
  t.is(error?.topic, 'prices');
  t.is(error?.id, 'x');
  t.is(
    error?.message,
    'Event id "x" was already notified on topic "prices" and is still in the replay history: ids must be unique per topic so that Last-Event-ID replay knows where a client stopped (use a counter or a UUID)',
  );
  t.throws(() => system.notify({ id: 'other', topic: 'prices', data: { data: 'd', id: 'x' } }), { instanceOf: DuplicateEventIdError });
  publish(system, 'news', ['x']); // another topic
  publish(system, 'prices', ['y', 'z']); // pushes x out of a size-2 history
  publish(system, 'prices', ['x']); // so x is free again
  await client.untilEvents(5);
  t.deepEqual(client.events.map((f) => `${f.id}:${f.data[0]}`), ['x:prices:x', 'x:news:x', 'y:prices:y', 'z:prices:z', 'x:prices:x']);
  client.close();
});

test('retry option: every new stream starts with a retry field; it is validated', async (t) => {
  const system = createSystem({ topics, keepAlive: 0, retry: 2500 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=prices&initial=hi`);
  await client.untilEvents(1);
  t.is(client.raw, 'retry: 2500\n\ndata: hi\n\n');
  client.close();
  for (const retry of [-1, 1.5, Number.NaN]) {
    const error = t.throws(() => createSystem({ topics, retry }), { instanceOf: InvalidOptionError });
    t.is(error?.option, 'retry');
  }
  for (const history of [{ size: -1 }, { ttlMs: 0.5 }]) {
    t.throws(() => createSystem({ topics, history }), { instanceOf: InvalidOptionError });
  }
});
