import test from 'ava';
import { Registry } from 'prom-client';
import { createSystem, metrics, MAILBOX_BUCKETS } from '../../src/index.ts';
import { SseClient, startServer, eventually, get } from '../helpers/sse-client.ts';
import { parseExposition, valueOf, byLabel } from '../helpers/prom-text.ts';

test('/metrics after a known sequence: exact values, from one snapshot per scrape', async (t) => {
  const system = createSystem({ topics: ['prices', 'news'], keepAlive: 0, partitions: 2 });
  const srv = await startServer(system, (app) => app.use(metrics(system)));
  t.teardown(srv.close);

  const a = await SseClient.connect(`${srv.url}/stream?topics=prices`);
  const b = await SseClient.connect(`${srv.url}/stream?topics=prices`);
  const c = await SseClient.connect(`${srv.url}/stream?topics=news`);
  await eventually(() => system.snapshot().topics.every((topic) => topic.subscribers === (topic.topic === 'prices' ? 2 : 1)), 5000, 'three subscribers');
  for (const id of [1, 2, 3]) system.notify({ id, topic: 'prices', data: { data: `p${id}` } });
  system.notify({ id: 'n1', topic: 'news', data: { data: 'n1' } });
  await Promise.all([a.untilEvents(3), b.untilEvents(3), c.untilEvents(1)]);
  await eventually(() => system.snapshot().events.delivered === 7, 5000, '7 deliveries counted');

  // A killed connection is restarted on its socket: one connection restart.
  const aId = system.snapshot().connections.find((conn) => conn.topics[0] === 'prices')?.id as string;
  system.exit(aId, 'kill');
  await eventually(() => system.snapshot().connections.find((conn) => conn.id === aId)?.restarts === 1, 5000, 'the restart');
  // A reconnect after id 1 replays 2 and 3; an id history never had gets an sse-reset.
  const d = await SseClient.connect(`${srv.url}/stream?topics=prices`, { 'last-event-id': '1' });
  const e = await SseClient.connect(`${srv.url}/stream?topics=news`, { 'last-event-id': 'gone' });
  await Promise.all([d.untilEvents(2), e.untilEvents(1)]);
  t.is(e.events[0]?.event, 'sse-reset');
  b.close();
  await eventually(() => system.snapshot().connections.length === 4 && system.snapshot().events.delivered === 9, 5000, 'b gone, replays counted');

  let snapshots = 0;
  const snapshot = system.snapshot.bind(system);
  system.snapshot = () => {
    snapshots += 1;
    return snapshot();
  };
  const res = await get(`${srv.url}/metrics`);
  t.is(res.status, 200);
  t.is(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  t.is(snapshots, 1, 'one snapshot per scrape, shared by every metric');
  const m = parseExposition(res.body);

  t.deepEqual(byLabel(m, 'sse_connections', 'state'), { open: 0, streaming: 4, blocked: 0, closing: 0 });
  t.is(m.types.get('sse_connections'), 'gauge');
  t.is(valueOf(m, 'sse_up'), 1);
  t.deepEqual(byLabel(m, 'sse_topic_subscribers', 'topic'), { prices: 2, news: 2 });
  t.deepEqual(byLabel(m, 'sse_topic_history_events', 'topic'), { prices: 3, news: 1 });
  t.is(m.types.get('sse_events_notified_total'), 'counter');
  t.deepEqual(byLabel(m, 'sse_events_notified_total', 'topic'), { prices: 3, news: 1 });
  t.deepEqual(byLabel(m, 'sse_events_delivered_total', 'topic'), { prices: 8, news: 1 });
  t.is(valueOf(m, 'sse_events_replayed_total'), 2);
  t.deepEqual(byLabel(m, 'sse_resets_total', 'reason'), { 'unknown-id': 1, 'aged-out': 0, 'history-off': 0 });
  t.is(valueOf(m, 'sse_keep_alives_total'), 0);
  t.is(valueOf(m, 'sse_dropped_frames_total'), 0);
  t.is(valueOf(m, 'sse_overflow_closed_total'), 0);
  t.is(valueOf(m, 'sse_lifetime_ended_total'), 0);
  t.is(valueOf(m, 'sse_rejected_total'), 0);
  t.deepEqual(byLabel(m, 'sse_restarts_total', 'kind'), { registry: 0, history: 0, partition: 0, connection: 1 });
  t.deepEqual(byLabel(m, 'sse_escalations_total', 'kind'), { registry: 0, history: 0, partition: 0, connection: 0 });
  t.deepEqual(byLabel(m, 'sse_transport_state', 'state'), { starting: 0, connected: 1, reconnecting: 0, stopped: 0 });
  t.is(valueOf(m, 'sse_transport_lag_seconds', { kind: 'memory' }), 0);
  t.is(valueOf(m, 'sse_transport_pending', { kind: 'memory' }), 0);
  // Every mailbox is empty: all four connections are in every bucket.
  t.is(m.types.get('sse_mailbox_depth'), 'histogram');
  t.deepEqual(byLabel(m, 'sse_mailbox_depth_bucket', 'le'), Object.fromEntries([...MAILBOX_BUCKETS.map(String), '+Inf'].map((le) => [le, 4])));
  t.is(valueOf(m, 'sse_mailbox_depth_count'), 4);
  t.is(valueOf(m, 'sse_mailbox_depth_sum'), 0);

  // Scraped again: the same values (counters are read, not accumulated), from one more snapshot.
  const again = parseExposition((await get(`${srv.url}/metrics`)).body);
  t.is(snapshots, 2);
  t.deepEqual(again.samples, m.samples);
  for (const client of [a, c, d, e]) client.close();
});

test('metrics on your own registry, with a prefix and a path; other requests pass through', async (t) => {
  const system = createSystem({ topics: ['news'], keepAlive: 0 });
  const registry = new Registry();
  const mine = metrics(system, { registry, prefix: 'app_sse_', path: '/internal/metrics' });
  t.is(mine.registry, registry);
  const srv = await startServer(system, (app) => app.use(mine));
  t.teardown(srv.close);
  const m = parseExposition(await registry.metrics());
  t.is(valueOf(m, 'app_sse_up'), 1);
  t.false([...m.types.keys()].some((name) => name.startsWith('sse_')));
  t.is((await get(`${srv.url}/internal/metrics`)).status, 200);
  t.is((await get(`${srv.url}/metrics`)).status, 404);
  // A stopped system scrapes as down.
  await system.stop();
  t.is(valueOf(parseExposition(await registry.metrics()), 'app_sse_up'), 0);
});

test('/metrics with families: one series per family however many topics it has, and live topic counts', async (t) => {
  const system = createSystem({ topics: ['news', 'user.*'], keepAlive: 0 });
  const srv = await startServer(system, (app) => app.use(metrics(system, { registry: new Registry() })));
  t.teardown(srv.close);
  const a = await SseClient.connect(`${srv.url}/stream?topics=user.1`);
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream');
  for (let n = 1; n <= 50; n++) system.notify({ id: n, topic: `user.${n}`, data: { data: 'x' } });
  await a.untilEvents(1);
  await eventually(() => system.snapshot().events.delivered === 1, 5000, 'the delivery counted');
  const m = parseExposition((await get(`${srv.url}/metrics`)).body);
  t.is(valueOf(m, 'sse_topics_live'), 51);
  t.deepEqual(byLabel(m, 'sse_family_topics_live', 'family'), { 'user.*': 50 });
  t.deepEqual(byLabel(m, 'sse_topic_subscribers', 'topic'), { news: 0, 'user.*': 1 });
  t.deepEqual(byLabel(m, 'sse_topic_history_events', 'topic'), { news: 0, 'user.*': 50 });
  t.deepEqual(byLabel(m, 'sse_events_notified_total', 'topic'), { news: 0, 'user.*': 50 });
  t.deepEqual(byLabel(m, 'sse_events_delivered_total', 'topic'), { news: 0, 'user.*': 1 });
  a.close();
});

test('/metrics presence gauges: per topic up to presenceTopics (the busiest), the rest summed under topic="other", no label per user', async (t) => {
  const system = createSystem({ topics: ['room.*'], keepAlive: 0, presence: { topics: ['room.*'] } });
  t.teardown(() => system.stop({ timeoutMs: 0 }));
  const sink = () => ({ closed: false, ended: false, open: () => undefined, write: (_b: Buffer, done: () => void) => (done(), true), end: () => undefined, destroy: () => undefined, listen: () => undefined, unlisten: () => undefined });
  // room.1: 3 streams of 2 users; room.2: 2 streams of 2 users; room.3 and room.4: 1 stream each.
  const streams: Array<[string, string]> = [['room.1', 'u1'], ['room.1', 'u1'], ['room.1', 'u2'], ['room.2', 'u1'], ['room.2', 'u3'], ['room.3', 'u4'], ['room.4', 'u5']];
  for (const [topic, id] of streams) system.admit({ topics: topic, user: { id } }).attach(sink() as never);
  system.admit({ topics: 'room.4' }).attach(sink() as never); // anonymous: not counted
  const served = metrics(system, { registry: new Registry(), presenceTopics: 2 });
  const m = parseExposition(await served.registry.metrics());
  t.deepEqual(byLabel(m, 'sse_presence_users', 'topic'), { 'room.1': 2, 'room.2': 2, other: 2 });
  t.deepEqual(byLabel(m, 'sse_presence_connections', 'topic'), { 'room.1': 3, 'room.2': 2, other: 2 });
  t.throws(() => metrics(system, { registry: new Registry(), presenceTopics: -1 }), { message: /presenceTopics must be a non-negative integer/ });
});
