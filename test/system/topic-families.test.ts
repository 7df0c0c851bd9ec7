import test from 'ava';
import { SimulatedClock } from 'xstate';
import { createSystem, sse, TooManyTopicsError, UnknownTopicError, TopicLimitError, SystemStoppedError, type SseSystem } from '../../src/index.ts';
import { SseClient, startServer, eventually, get } from '../helpers/sse-client.ts';

const streaming = (system: SseSystem, count: number) =>
  eventually(() => system.snapshot().connections.filter((c) => c.state === 'streaming').length === count, 5000, `${count} streaming`);

test('a family creates its names on first use: a stream on user.42 gets what is notified to it; counts are per family', async (t) => {
  const system = createSystem({ topics: ['news', 'user.*'], keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  t.deepEqual(system.snapshot().topicCount, { live: 1, max: 100_000, families: { 'user.*': 0 } });
  const alice = await SseClient.connect(`${srv.url}/stream?topics=user.42`);
  await streaming(system, 1);
  t.deepEqual(system.snapshot().topicCount, { live: 2, max: 100_000, families: { 'user.*': 1 } });
  system.notify({ id: 1, topic: 'user.42', data: { data: 'for alice' } });
  system.notify({ id: 2, topic: 'user.7', data: { data: 'for bob' } }); // created by notify, nobody listens
  await alice.untilEvents(1);
  t.is(alice.raw, 'id: 1\ndata: for alice\n\n');
  const snap = system.snapshot();
  t.deepEqual(snap.topicCount.families, { 'user.*': 2 });
  t.deepEqual(snap.topics, [
    { topic: 'news', subscribers: 0, history: 0 },
    { topic: 'user.*', subscribers: 1, history: 2 },
  ]);
  t.deepEqual(Object.keys(snap.events.topics), ['news', 'user.*']);
  t.is(snap.events.topics['user.*']?.notified, 2);
  await eventually(() => system.snapshot().events.topics['user.*']?.delivered === 1, 5000, 'delivered counted under the family');
  alice.close();
});

test('names are checked as before: outside every family, a pattern, an empty segment or too long is a typed error, and nothing is created', async (t) => {
  const system = createSystem({ topics: ['news', 'user.*'], keepAlive: 0, maxTopicLength: 16 });
  t.throws(() => system.notify({ id: 1, topic: 'room.1', data: { data: 'x' } }), { instanceOf: UnknownTopicError, message: 'Unknown SSE topic "room.1": register it in createSystem({ topics })' });
  t.throws(() => system.notify({ id: 1, topic: 'user.', data: { data: 'x' } }), { instanceOf: UnknownTopicError, message: /Invalid SSE topic "user\.": a name has non-empty dot-separated segments/ });
  t.throws(() => system.notify({ id: 1, topic: 'user.\n', data: { data: 'x' } }), { instanceOf: UnknownTopicError });
  t.throws(() => system.notify({ id: 1, topic: `user.${'x'.repeat(20)}`, data: { data: 'x' } }), { instanceOf: TopicLimitError });
  t.throws(() => system.registerTopic('a.*'), { instanceOf: UnknownTopicError });
  t.throws(() => system.registerTopic(''), { instanceOf: UnknownTopicError });
  t.throws(() => system.unregisterTopic('user.9'), { instanceOf: UnknownTopicError });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const bad = await get(`${srv.url}/stream?topics=user.a..b`);
  t.is(bad.status, 400);
  t.deepEqual(system.snapshot().topicCount, { live: 1, max: 100_000, families: { 'user.*': 0 } });
});

test('a pattern subscription into a family gets topics created after it subscribed; a stream reached by name and pattern gets each event once', async (t) => {
  const system = createSystem({ topics: ['lobby', 'room.*'], keepAlive: 0 });
  const seen: string[][] = [];
  const srv = await startServer(system);
  t.teardown(srv.close);
  const all = await SseClient.connect(`${srv.url}/stream?topics=${encodeURIComponent('room.*')}`);
  const both = await SseClient.connect(`${srv.url}/stream?topics=${encodeURIComponent('room.1,room.*,**')}`);
  await streaming(system, 2);
  seen.push(system.snapshot().connections.map((c) => c.topics.join(',')));
  t.deepEqual(seen, [['room.*', 'room.1,room.*,**']]);
  system.notify({ id: 1, topic: 'room.1', data: { data: 'one' } }); // created now, after both subscribed
  system.notify({ id: 2, topic: 'lobby', data: { data: 'hall' } });
  system.registerTopic('room.2');
  system.notify({ id: 3, topic: 'room.2', data: { data: 'two' } });
  await all.untilEvents(2);
  await both.untilEvents(3);
  t.is(all.raw, 'id: 1\ndata: one\n\nid: 3\ndata: two\n\n');
  t.is(both.raw, 'id: 1\ndata: one\n\nid: 2\ndata: hall\n\nid: 3\ndata: two\n\n');
  // Replay through a pattern reads every live topic it matches.
  const again = await SseClient.connect(`${srv.url}/stream?topics=${encodeURIComponent('room.*')}`, { 'last-event-id': '1' });
  await again.untilEvents(1);
  t.is(again.raw, 'id: 3\ndata: two\n\n');
  for (const client of [all, both, again]) client.close();
});

test('a pattern over names only is expanded when the stream opens, as before families', async (t) => {
  const system = createSystem({ topics: ['orders.eu', 'orders.us', 'user.*'], keepAlive: 0 });
  t.deepEqual(system.resolveTopics('orders.*'), ['orders.eu', 'orders.us']);
  t.deepEqual(system.resolveTopics(['user.1', 'orders.*', 'user.*']), ['orders.eu', 'orders.us', 'user.1', 'user.*']);
  t.throws(() => system.resolveTopics('nope.*'), { instanceOf: UnknownTopicError });
});

test('authorize gets the concrete names, or the pattern as asked for a family: only one\'s own user topic is allowed', async (t) => {
  const system = createSystem({ topics: ['user.*'], keepAlive: 0 });
  const seen: string[][] = [];
  // A second sse() after the helper's: its ctx.sse (with authorize) is the one the route calls.
  const srv = await startServer(system, (app) => app.use(sse(system, {
    authorize: (ctx, topics) => {
      seen.push([...topics]);
      return topics.every((topic) => topic === `user.${ctx.get('x-user')}`);
    },
  })));
  t.teardown(srv.close);
  const url = `${srv.url}/stream`;
  const own = await SseClient.connect(`${url}?topics=user.1`, { 'x-user': '1' });
  t.is(own.status, 200);
  t.is((await get(`${url}?topics=user.2`, { 'x-user': '1' })).status, 403);
  t.is((await get(`${url}?topics=${encodeURIComponent('user.*')}`, { 'x-user': '1' })).status, 403);
  t.deepEqual(seen, [['user.1'], ['user.2'], ['user.*']]);
  // Refused streams created nothing: only user.1 is live.
  t.deepEqual(system.snapshot().topicCount.families, { 'user.*': 1 });
  own.close();
});

test('unregisterTopic ends exactly the streams subscribed to it by name (with a retry hint) and drops its history', async (t) => {
  const system = createSystem({ topics: ['a', 'b', 'room.*'], keepAlive: 0, retry: 100 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const onA = await SseClient.connect(`${srv.url}/stream?topics=a`);
  const onAB = await SseClient.connect(`${srv.url}/stream?topics=a,b`);
  const onB = await SseClient.connect(`${srv.url}/stream?topics=b`);
  const rooms = await SseClient.connect(`${srv.url}/stream?topics=room.1`);
  await streaming(system, 4);
  system.notify({ id: 1, topic: 'a', data: { data: 'x' } });
  await onA.untilEvents(1);
  system.unregisterTopic('a');
  await onA.untilEnded();
  await onAB.untilEnded();
  t.regex(onA.raw, /^retry: 100\n\nid: 1\ndata: x\n\nretry: \d+\n\n$/);
  await streaming(system, 2);
  t.deepEqual(system.snapshot().connections.map((c) => c.topics.join(',')).sort(), ['b', 'room.1']);
  t.throws(() => system.notify({ id: 2, topic: 'a', data: { data: 'y' } }), { instanceOf: UnknownTopicError });
  t.false('a' in system.snapshot().history);
  t.is((await get(`${srv.url}/stream?topics=a`)).status, 400);
  system.unregisterTopic('room.1'); // a family's name: its stream ends; asked again, it is created again
  await rooms.untilEnded();
  system.notify({ id: 3, topic: 'b', data: { data: 'still' } });
  await onB.untilEvents(1);
  t.is(onB.events.length, 1);
  // registerTopic brings it back (event_bus's register_topic), empty.
  system.registerTopic('a');
  system.notify({ id: 4, topic: 'a', data: { data: 'back' } });
  t.deepEqual(system.snapshot().history.a, { events: 1, bytes: 'id: 4\ndata: back\n\n'.length });
  onB.close();
  await system.stop();
  t.throws(() => system.registerTopic('c'), { instanceOf: SystemStoppedError });
});

test('maxTopics: a stream or notify past it gets TooManyTopicsError (503, Retry-After) and nothing of it is created', async (t) => {
  const system = createSystem({ topics: ['a', 'user.*'], keepAlive: 0, maxTopics: 3 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  system.notify({ id: 1, topic: 'user.1', data: { data: 'x' } });
  const before = system.snapshot();
  const refused = await get(`${srv.url}/stream?topics=user.2,user.3`);
  t.is(refused.status, 503);
  t.is(refused.headers['retry-after'], '1');
  t.is(refused.body, 'Too many SSE topics: 3 are live (maxTopics), so "user.2", "user.3" cannot be created; retry later');
  t.deepEqual(system.snapshot().topicCount, before.topicCount);
  t.deepEqual(system.snapshot().history, before.history);
  t.is(system.snapshot().connections.length, 0);
  system.notify({ id: 2, topic: 'user.2', data: { data: 'fits' } });
  const error = t.throws(() => system.registerTopic('b'), { instanceOf: TooManyTopicsError });
  t.throws(() => system.notify({ id: 3, topic: 'user.3', data: { data: 'no room' } }), { instanceOf: TooManyTopicsError });
  t.deepEqual([error?.status, error?.limit, error?.topics], [503, 3, ['b']]);
  t.deepEqual(system.snapshot().topicCount, { live: 3, max: 3, families: { 'user.*': 2 } });
  t.is(system.snapshot().events.notified, 2);
});

test('reclaim: a created topic with no subscriber goes once its history expired; one with a subscriber stays; nothing of it is left', async (t) => {
  const clock = new SimulatedClock();
  const system = createSystem({ topics: ['user.*'], keepAlive: 0, clock, history: { size: 10, ttlMs: 5000 } });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const kept = await SseClient.connect(`${srv.url}/stream?topics=user.1`);
  await streaming(system, 1);
  system.notify({ id: 1, topic: 'user.1', data: { data: 'a' } });
  system.notify({ id: 2, topic: 'user.2', data: { data: 'b' } });
  clock.increment(4000);
  t.deepEqual(system.snapshot().topicCount.families, { 'user.*': 2 }, 'history not expired yet');
  clock.increment(2000);
  t.deepEqual(system.snapshot().topicCount.families, { 'user.*': 1 });
  t.deepEqual(Object.keys(system.snapshot().history), ['user.1']);
  // The subscriber leaves: with its history expired, the topic goes at the next sweep.
  kept.close();
  await eventually(() => system.snapshot().connections.length === 0, 5000, 'the stream gone');
  clock.increment(1000);
  const snap = system.snapshot();
  t.deepEqual(snap.topicCount, { live: 0, max: 100_000, families: { 'user.*': 0 } });
  t.deepEqual(snap.history, {});
  t.deepEqual(snap.timers, { keepAlive: 0, deadlines: 0 });
  t.deepEqual(snap.topics, [{ topic: 'user.*', subscribers: 0, history: 0 }]);
});

test('history.maxTotalBytes: past the budget the oldest event of any topic leaves first', (t) => {
  const frame = (id: number) => `id: ${id}\ndata: xxxxxxxx\n\n`.length;
  const system = createSystem({ topics: ['a', 'b', 'user.*'], keepAlive: 0, history: { size: 100, maxTotalBytes: frame(1) * 3 } });
  system.notify({ id: 1, topic: 'a', data: { data: 'xxxxxxxx' } });
  system.notify({ id: 2, topic: 'b', data: { data: 'xxxxxxxx' } });
  system.notify({ id: 3, topic: 'user.1', data: { data: 'xxxxxxxx' } });
  system.notify({ id: 4, topic: 'b', data: { data: 'xxxxxxxx' } });
  t.deepEqual(system.snapshot().history, { a: { events: 0, bytes: 0 }, b: { events: 2, bytes: frame(2) * 2 }, 'user.1': { events: 1, bytes: frame(3) } });
  system.notify({ id: 5, topic: 'a', data: { data: 'xxxxxxxx' } });
  t.deepEqual(system.snapshot().history, { a: { events: 1, bytes: frame(5) }, b: { events: 1, bytes: frame(4) }, 'user.1': { events: 1, bytes: frame(3) } });
});
