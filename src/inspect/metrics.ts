import { createRequire } from 'node:module';
import type { Middleware, ParameterizedContext } from 'koa';
import type * as PromClient from 'prom-client';
import type { SystemSnapshot } from '../system/types.ts';
import type { SseSystem } from '../adapters/create-system.ts';
import { ACTOR_KINDS as KINDS, restartsByKind } from './actor-kinds.ts';
import type { ConnectionState } from '../actors/connection.ts';
import type { ResetReason } from '../protocol/control.ts';
import { COUNTERS } from '../system/types.ts';

/**
 * A prom-client `Registry`, as far as sse-actors' published types need it: structural, so a
 * TypeScript user who never calls `metrics()` type-checks without prom-client installed. Any
 * prom-client 15 `Registry` is one.
 * @example
 * ```ts
 * const served = metrics(system);
 * const text: string = await served.registry.metrics();
 * ```
 */
export interface PromRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/**
 * Options of {@link metrics}.
 * @example
 * ```ts
 * const { Registry, collectDefaultMetrics } = await import('prom-client');
 * const registry = new Registry();
 * collectDefaultMetrics({ register: registry }); // process metrics beside the system's, on one /metrics
 * app.use(metrics(system, { registry, prefix: 'chat_sse_', path: '/metrics' }));
 * ```
 */
export interface MetricsOptions {
  /** The prom-client registry to register on (yours, to serve your own metrics beside these). @default a new Registry */
  registry?: PromRegistry;
  /** Prepended to every metric name. @default 'sse_' */
  prefix?: string;
  /** The path the middleware answers. @default '/metrics' */
  path?: string;
  /**
   * Most topics with their own `topic` label on the presence gauges (the busiest, by streams on
   * this node); the rest are summed under `topic="other"`. No metric has a label per user.
   * @default 100
   */
  presenceTopics?: number;
}

/**
 * Default cap of per-topic series on the presence gauges.
 * @example
 * ```ts
 * app.use(metrics(system, { presenceTopics: DEFAULT_PRESENCE_TOPICS * 2 }));
 * ```
 */
export const DEFAULT_PRESENCE_TOPICS = 100;

/** Presence per topic, the busiest `cap` topics labelled, the rest summed under `other` (bounded cardinality). */
function presenceSeries(presence: SystemSnapshot['presence'], cap: number, field: 'users' | 'connections'): Array<[{ topic: string }, number]> {
  const sorted = [...presence].sort((a, b) => b.connections - a.connections || (a.topic < b.topic ? -1 : 1));
  const series: Array<[{ topic: string }, number]> = sorted.slice(0, cap).map((p) => [{ topic: p.topic }, p[field]]);
  if (sorted.length > cap) series.push([{ topic: 'other' }, sorted.slice(cap).reduce((sum, p) => sum + p[field], 0)]);
  return series;
}

/**
 * Koa middleware that serves the exposition text at its path; `.registry` holds the metrics.
 * @example
 * ```ts
 * const served = metrics(system, { path: '/internal/metrics' });
 * app.use(served);
 * console.log(await served.registry.metrics()); // the same exposition text, without HTTP
 * ```
 */
export type MetricsMiddleware = Middleware & { readonly registry: PromRegistry };

/**
 * The mailbox depth histogram's upper bounds (frames queued per connection).
 * @example
 * ```ts
 * // one sse_mailbox_depth_bucket series per bound, and +Inf
 * const le = [...MAILBOX_BUCKETS.map(String), '+Inf']; // ['0', '1', '4', '16', '64', '256', '1024', '+Inf']
 * ```
 */
export const MAILBOX_BUCKETS: readonly number[] = [0, 1, 4, 16, 64, 256, 1024];

const STATES: readonly ConnectionState[] = ['open', 'streaming', 'blocked', 'closing'];
const TRANSPORT_STATES = ['starting', 'connected', 'reconnecting', 'stopped'] as const;

/** prom-client, loaded only when metrics() is called, so users who never call it need not install it. */
function loadPromClient(): typeof PromClient {
  try {
    return createRequire(import.meta.url)('prom-client') as typeof PromClient;
  } catch (error) {
    throw new Error('sse-actors metrics() needs prom-client 15: npm install prom-client', { cause: error });
  }
}

/**
 * Registers the system's Prometheus metrics on a prom-client registry and returns Koa middleware
 * serving them at `path`. Every scrape reads ONE `system.snapshot()` (shared by every collect
 * callback of that scrape), so 10,000 connections are walked once per scrape, and nothing runs
 * between scrapes. Throws when prom-client is not installed.
 * @example
 * ```ts
 * app.use(metrics(system)); // GET /metrics: the Prometheus exposition text (needs prom-client)
 * ```
 */
export function metrics(system: SseSystem<void | Promise<void>>, options: MetricsOptions = {}): MetricsMiddleware {
  const prom = loadPromClient();
  const { prefix = 'sse_', path = '/metrics', presenceTopics = DEFAULT_PRESENCE_TOPICS } = options;
  if (!Number.isSafeInteger(presenceTopics) || presenceTopics < 0) throw new TypeError(`metrics(): presenceTopics must be a non-negative integer, got ${String(presenceTopics)}`);
  const registry = (options.registry as PromClient.Registry | undefined) ?? new prom.Registry();
  const registers = [registry];

  // prom-client calls every collect callback synchronously as a scrape starts: one snapshot per turn
  // of the event loop is one per scrape, whoever scrapes (this middleware or the user's registry).
  let current: SystemSnapshot | undefined;
  const snap = (): SystemSnapshot => {
    if (current === undefined) {
      current = system.snapshot();
      setImmediate(() => (current = undefined));
    }
    return current;
  };

  type Read<L extends string> = (s: SystemSnapshot) => Array<[Partial<Record<L, string>>, number]>;
  /** A collect callback: the metric's values are read from the scrape's snapshot (reset, then added: a gauge's inc after reset is a set). */
  const readInto = <L extends string>(read: Read<L>) =>
    function collect(this: { reset(): void; inc(labels: Partial<Record<L, string>>, value: number): void }) {
      this.reset();
      for (const [labels, value] of read(snap())) this.inc(labels, value);
    };
  /** A counter whose value is read from the snapshot on every scrape. */
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[], read: Read<L>) =>
    new prom.Counter({ name: prefix + name, help, labelNames, registers, collect: readInto(read) });
  /** A gauge whose value is read from the snapshot on every scrape. */
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], read: Read<L>) =>
    new prom.Gauge({ name: prefix + name, help, labelNames, registers, collect: readInto(read) });

  gauge('connections', 'Open connections on this node, by state.', ['state'], (s) => {
    const by = new Map<string, number>(STATES.map((state) => [state, 0]));
    for (const c of s.connections) by.set(c.state, (by.get(c.state) ?? 0) + 1);
    return [...by].map(([state, n]) => [{ state }, n]);
  });
  gauge('up', '1 while the system runs; 0 once stopping, stopped or failed.', [], (s) => [[{}, s.status === 'running' ? 1 : 0]]);
  gauge('topic_subscribers', 'Connections subscribed, by topic (a family is one series: its pattern).', ['topic'], (s) => s.topics.map((t) => [{ topic: t.topic }, t.subscribers]));
  gauge('topics_live', 'Live topics (fixed, registered, and created from families).', [], (s) => [[{}, s.topicCount.live]]);
  gauge('family_topics_live', 'Live topics created from each family.', ['family'], (s) => Object.entries(s.topicCount.families).map(([family, n]) => [{ family }, n]));
  gauge('topic_history_events', 'Events kept for replay, by topic.', ['topic'], (s) => s.topics.map((t) => [{ topic: t.topic }, t.history]));
  counter('events_notified_total', 'Events notified on this node, by topic.', ['topic'], (s) => Object.entries(s.events.topics).map(([topic, c]) => [{ topic }, c.notified]));
  counter('events_delivered_total', 'Event frames written to sockets on this node, by topic (replays included).', ['topic'], (s) => Object.entries(s.events.topics).map(([topic, c]) => [{ topic }, c.delivered]));
  gauge('presence_users', `Users with a stream on a presence topic on this node (the busiest ${presenceTopics} topics; the rest summed under topic="other").`, ['topic'], (s) => presenceSeries(s.presence, presenceTopics, 'users'));
  gauge('presence_connections', `Streams with a user on a presence topic on this node (topics capped as sse_presence_users).`, ['topic'], (s) => presenceSeries(s.presence, presenceTopics, 'connections'));
  counter('events_replayed_total', 'Events replayed to reconnecting clients after their Last-Event-ID.', [], (s) => [[{}, s.events.replayed]]);
  counter('resets_total', 'sse-reset messages sent, by reason.', ['reason'], (s) => (Object.entries(s.events.resets) as Array<[ResetReason, number]>).map(([reason, n]) => [{ reason }, n]));
  counter('keep_alives_total', 'Keep-alive comments written.', [], (s) => [[{}, s.events.keepAlives]]);
  for (const { key, metric, help } of COUNTERS) counter(metric, help, [], (s) => [[{}, s.counters[key]]]);
  counter('restarts_total', 'Actor restarts by supervisors, by actor kind.', ['kind'], (s) => {
    const byKind = restartsByKind(s);
    return KINDS.map((kind) => [{ kind }, byKind[kind]]);
  });
  counter('escalations_total', 'Times a supervisor gave up on an actor (restart intensity exceeded), by actor kind.', ['kind'], (s) => KINDS.map((kind) => [{ kind }, s.escalationsByKind[kind]]));
  gauge('transport_state', "The transport's state: 1 on the current one.", ['kind', 'state'], (s) => TRANSPORT_STATES.map((state) => [{ kind: s.transport.kind, state }, s.transport.state === state ? 1 : 0]));
  gauge('transport_lag_seconds', "How far this node's reading is behind the newest event it knows of.", ['kind'], (s) => [[{ kind: s.transport.kind }, s.transport.lagMs / 1000]]);
  gauge('transport_pending', 'Publishes handed to the transport and not yet acknowledged.', ['kind'], (s) => [[{ kind: s.transport.kind }, s.transport.pending]]);
  new prom.Histogram({
    name: `${prefix}mailbox_depth`,
    help: 'Frames queued and not yet written, per open connection (observed once per connection per scrape).',
    buckets: [...MAILBOX_BUCKETS],
    registers,
    collect() {
      this.reset();
      for (const c of snap().connections) this.observe(c.mailbox);
    },
  });

  const middleware = async function metricsMiddleware(ctx: ParameterizedContext, next: () => Promise<unknown>) {
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.set('Content-Type', registry.contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await registry.metrics();
  };
  return Object.assign(middleware, { registry }) as MetricsMiddleware;
}
