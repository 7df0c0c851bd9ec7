import type { SseEvent } from '../protocol/chunk.ts';
import type { ConnectionState } from '../actors/connection.ts';
import type { TransportStatus } from '../transport/types.ts';

export type { EventStats } from './event-stats.ts';
import type { EventStats } from './event-stats.ts';

export { ACTOR_KINDS, actorKind, type ActorKind } from '../actors/tree.ts';
import type { ActorKind } from '../actors/tree.ts';
import type { CounterName } from '../runtime/stats.ts';
export { COUNTERS, type CounterName } from '../runtime/stats.ts';

/**
 * One connection in {@link SseSystem.snapshot}.
 * @example
 * ```ts
 * for (const connection of system.snapshot().connections) {
 *   if (connection.mailbox > 100) console.warn(`${connection.id} is ${connection.mailbox} frames behind (${connection.state})`);
 * }
 * ```
 */
export interface ConnectionSnapshot {
  /** The connection actor's id (`c0`, `c1`, …): what `system.exit` takes; a restarted actor keeps it. */
  id: string;
  /** `open` (starting), `streaming`, `blocked` (the socket pushed back), `closing` (flushing before it ends). */
  state: ConnectionState;
  /** The registered topics it is subscribed to (patterns expanded). */
  topics: string[];
  /** Frames queued and not yet written. */
  mailbox: number;
  /** Events written to the socket (counted once the write completed). */
  delivered: number;
  /** Frames dropped by a `drop-oldest` / `drop-newest` mailbox. */
  dropped: number;
  /** The last event id written to the socket. */
  lastEventId: string | null;
  /** Times this connection's actor crashed and was restarted on the same socket. */
  restarts: number;
  /** When the stream opened, in ms since the epoch. */
  openedAt: number;
  /** Who the stream belongs to (`ctx.sse(…, { user })`, or an `authorize` grant), or null. */
  user: SseUser | null;
}

/**
 * JSON view of a system, what the dashboard and metrics read (docs/inspect.md lists every field).
 * Plain data, built anew by each {@link SseSystem.snapshot} call; nothing in it changes afterwards.
 * @example
 * ```ts
 * const { status, connections, topics, counters } = system.snapshot();
 * console.log(status, connections.length, topics.map((t) => `${t.topic}: ${t.subscribers}`), counters.dropped);
 * ```
 */
export interface SystemSnapshot {
  /** `failed`: a service (registry, history) crashed past the restart intensity; every stream was ended. */
  status: 'running' | 'stopping' | 'stopped' | 'failed';
  /** Every open connection on this node, in supervision order (by partition, then oldest first). */
  connections: ConnectionSnapshot[];
  /**
   * Per fixed or registered topic, and per family (its pattern, adding up the topics created from
   * it): connections subscribed (by name or pattern), and events kept for replay.
   */
  topics: Array<{ topic: string; subscribers: number; history: number }>;
  /** Live topics: how many, the bound (`maxTopics`), and how many each family created. */
  topicCount: { live: number; max: number; families: Record<string, number> };
  /** Restarts performed by every supervisor so far. */
  restarts: number;
  /** The system's services (exitable: registry, history) and partitions, with their restart counts. */
  actors: Array<{ id: string; restarts: number }>;
  /** Times a supervisor gave up on an actor (restart intensity exceeded). */
  escalations: number;
  /** {@link SystemSnapshot.escalations} by the kind of actor given up on (`partition` covers every `partition-N`). */
  escalationsByKind: Record<ActorKind, number>;
  /**
   * Since the system started: frames dropped on overflow, streams ended on overflow or at their
   * lifetime, streams refused by `maxConnections`, EventSources answered `sse-busy` by reason.
   */
  counters: Record<CounterName, number>;
  /** Streams admitted and not attached yet (an `authorize` pending, or a revoked one being answered): they count against `maxConnections`. */
  admitting: number;
  /** What the system holds on the clock: connections watched for keep-alive, pending deadlines (lifetimes, close timeouts). */
  timers: { keepAlive: number; deadlines: number };
  /** This node's name (`createSystem({ node })`): every connection listed is on it. */
  node: string;
  /** The transport (`memory`, `redis`, …): its state, lag and pending publishes. */
  transport: TransportStatus;
  /** Event counters since the system started. */
  events: EventStats;
  /** Per registered topic: events kept for replay and their encoded bytes (bounded by `history.size` and `history.maxBytes`). */
  history: Record<string, { events: number; bytes: number }>;
  /** Presence as this node sees it: per topic under presence with streams here, its users and streams on this node (empty when presence is off). */
  presence: Array<{ topic: string; users: number; connections: number }>;
}

import type { SseUser } from '../protocol/user.ts';
import type { StopOptions } from './stop-options.ts';
export type { StopOptions };

export type { AdmitRequest, BusyAnswer, RevokeHandler, Admission } from './admission-types.ts';
import type { AdmitRequest, Admission } from './admission-types.ts';

/**
 * A running system, without any HTTP stack: the port every adapter (Koa, `node:http`, Fetch) uses.
 * `N` is what `notify` returns: `void` with the memory transport (the default), `Promise<void>` with a remote one.
 * @example
 * ```ts
 * import { createSystem, type SystemPort } from 'sse-actors';
 *
 * const system: SystemPort = createSystem({ topics: ['news'] });
 * system.notify({ id: 1, topic: 'news', data: { data: 'hello' } });
 * system.snapshot().connections; // one entry per open stream
 * ```
 */
export interface SystemPort<N extends void | Promise<void> = void> {
  /** This node's name (`createSystem({ node })`). */
  readonly node: string;
  /** The registered topics. */
  readonly topics: readonly string[];
  /** True once `stop()` was called. */
  readonly stopped: boolean;
  /**
   * How many streams are open on this node right now (attached, not yet released), counted without
   * walking them: cheap enough for a health check or a load balancer's probe on every request,
   * where `snapshot()` builds a row per connection.
   */
  readonly connectionCount: number;
  /**
   * Publishes an event to every connection subscribed to `event.topic`. The chunk is checked and
   * encoded once, before anything is written. Throws `InvalidChunkError`, `UnknownTopicError`, or
   * `SystemStoppedError` after `stop()`, synchronously, before anything is sent. With a remote
   * transport it returns a promise that resolves once the transport has the event and rejects with
   * `TransportError` when it cannot.
   */
  notify(event: SseEvent): N;
  /**
   * Resolves once the transport is started (a remote one: connected, and this node's replay
   * history restored). Immediately with the memory transport. Await it before listening.
   */
  ready(): Promise<void>;
  /**
   * Admits a stream: resolves the topics, checks the limits and the initial chunk, and takes a
   * place under `maxConnections`. Writes nothing; throws `UnknownTopicError`, `TopicLimitError`,
   * `InvalidChunkError`, `SystemStoppedError`, `TooManyConnectionsError`. Adapters call it, then
   * `attach` the admission to their `Sink` (or `cancel` it).
   */
  admit(request: AdmitRequest): Admission;
  /**
   * The registered topics that `topics` (names or patterns) stand for, in registration order.
   * Throws `UnknownTopicError` for a name or pattern that matches none (or a topic that is not a
   * string) and `TopicLimitError` beyond `maxTopicsPerStream` / `maxTopicLength`.
   */
  resolveTopics(topics: string | readonly string[]): string[];
  /**
   * Adds a topic at runtime, as event_bus's `EventBus.register_topic/1`: kept until
   * {@link SystemPort.unregisterTopic} (a topic a family created is kept from now on). Idempotent.
   * Throws `UnknownTopicError` for what cannot be a name (empty, `*`, an empty segment, a control
   * character), `TopicLimitError` past `maxTopicLength`, `TooManyTopicsError` past `maxTopics`.
   * @example
   * ```ts
   * system.registerTopic('room.9');
   * system.notify({ id: 1, topic: 'room.9', data: { data: 'opened' } });
   * ```
   */
  registerTopic(topic: string): void;
  /**
   * Removes a topic, as event_bus's `EventBus.unregister_topic/1`: the streams subscribed to it by
   * name are ended with a retry hint, and its history goes. A stream subscribed by pattern stays.
   * Throws `UnknownTopicError` for a topic that is not live.
   * @example
   * ```ts
   * system.unregisterTopic('room.9'); // its streams end; clients reconnect and are told 400 (or recreate it, in a family)
   * ```
   */
  unregisterTopic(topic: string): void;
  /**
   * Sends an exit signal, like Erlang's `exit(Pid, Reason)`: `'kill'` crashes the actor as a fault
   * would (its supervisor restarts it: a connection on the same socket, resuming from its cursor);
   * `'normal'` stops it cleanly (a connection ends its stream with a retry hint; the registry or
   * history is restarted fresh). Ids: `'registry'`, `'history'`, or a connection id from
   * `snapshot()`. Throws `UnknownActorError` for any other id.
   */
  exit(actorId: string, reason?: 'kill' | 'normal'): void;
  /**
   * A JSON snapshot of the system: status, every connection (state, topics, mailbox depth,
   * delivered, dropped, restarts, …), topics with subscribers and history, supervisors' restarts
   * and escalations, counters, timers, the transport and event counters. It walks every
   * connection: take one per scrape or dashboard tick (as `metrics()` and `dashboard()` do), not per request.
   */
  snapshot(): SystemSnapshot;
  /**
   * Graceful stop: rejects new streams and notifies, flushes every mailbox, ends every stream,
   * stops every actor and timer. Resolves once all streams ended (or were destroyed after `timeoutMs`,
   * measured on the system's clock: with a `SimulatedClock`, only stepping it fires the timeout).
   */
  stop(options?: StopOptions): Promise<void>;
}
