import type { Chunk, SseEvent } from '../protocol/chunk.ts';
import type { Sink } from '../runtime/sink.ts';
import type { ConnectionState } from '../actors/connection.ts';
import type { TransportStatus } from '../transport/types.ts';
import type { BusyReason } from '../protocol/control.ts';

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

import type { SseUser, StreamGrant } from '../protocol/user.ts';
import type { StopOptions } from './stop-options.ts';
export type { StopOptions };

/**
 * What a stream asks for when it is admitted: everything is checked here, before anything is written.
 * @example
 * ```ts
 * const admission = system.admit({ topics: 'news', initial: { data: 'welcome' }, lastEventId: '41' });
 * ```
 */
export interface AdmitRequest {
  /** Registered topic names, or patterns over them (`*` one segment, `**` the rest). */
  topics: string | readonly string[];
  /** The first chunk the stream writes (before any replay). */
  initial?: Chunk;
  /** The last event id the client saw (`Last-Event-ID`, or the `lastEventId` query parameter). */
  lastEventId?: string;
  /**
   * The client accepts `text/event-stream` (an EventSource). Then a refusal to stream right now
   * (`TooManyConnectionsError`, `SystemStoppedError`, a revocation) carries a {@link BusyAnswer}
   * and is counted by reason; the adapter answers it `200` + `sse-busy` instead of `503`.
   * @default false
   */
  eventStream?: boolean;
  /**
   * Who the stream belongs to (validated: `InvalidUserError`, 400). Kept by its connection actor,
   * shown in `snapshot()`, the dashboard and the inspector, and counted by presence.
   * @default undefined (an anonymous stream)
   */
  user?: SseUser;
}

/**
 * How to answer a request that cannot stream right now: `retry: retryMs`, `event: sse-busy` with
 * `{"reason": reason}`, then the end of the stream (the browser comes back by itself).
 * `retryMs` is jittered (`busyRetry`), so a crowd turned away together does not return together.
 * @example
 * ```ts
 * const busy: BusyAnswer = { reason: 'full', retryMs: 2480 };
 * ```
 */
export interface BusyAnswer {
  readonly reason: BusyReason;
  readonly retryMs: number;
}

/**
 * Told when the system gives a pending admission up: its `authorize` timed out
 * (`authorizeTimeoutMs`), or the system is stopping. It answers the request (busy for an
 * EventSource, 503 otherwise) and cancels the admission once the answer is out: the place is held
 * (and `stop()` waits) until then.
 * @example
 * ```ts
 * const admission = system.admit({ topics: 'news' });
 * admission.onRevoke((busy) => {
 *   res.writeHead(503, { 'Retry-After': String(Math.ceil(busy.retryMs / 1000)) }).end();
 *   res.once('close', () => admission.cancel());
 * });
 * ```
 */
export type RevokeHandler = (busy: BusyAnswer) => void;

/**
 * A stream admitted by {@link SystemPort.admit} and not attached yet. It holds a place under
 * `maxConnections` (shown as `snapshot().admitting`) until {@link Admission.attach} or
 * {@link Admission.cancel}; one of the two must follow, once.
 * @example
 * ```ts
 * const admission = system.admit({ topics: 'news', lastEventId });
 * if (!(await allowed(admission.topics))) admission.cancel();
 * else admission.attach(mySink); // replay and subscribe in one synchronous step; returns the connection id
 * ```
 */
export interface Admission {
  /** The registered topics the request stands for (patterns expanded), frozen. */
  readonly topics: readonly string[];
  /** The last event id the client saw, if any. */
  readonly lastEventId: string | undefined;
  /**
   * Starts the stream on `sink`: computes the replay, calls `sink.open()`, subscribes, and writes
   * the start (retry hint, initial chunk, replay) — one synchronous step, so no event falls between
   * replay and live. Throws `SystemStoppedError` (before `sink.open()`, nothing written) when the
   * system stopped since `admit`. Returns the connection id.
   */
  attach(sink: Sink): string;
  /** Who the stream belongs to: the request's `user`, or the one a {@link Admission.grant} set. */
  readonly user: SseUser | undefined;
  /**
   * Before {@link Admission.attach}: what an `authorize` granted. `user` replaces the request's;
   * `expiresAt` (ms since the epoch) ends the stream then, with a jittered `retry:` (a stream whose
   * grant has already expired ends as soon as it starts). Throws `InvalidUserError` / `TypeError`
   * on bad input and changes nothing then.
   */
  grant(grant: StreamGrant): void;
  /** Gives the place back without a stream (refused, or the client left). Idempotent. */
  cancel(): void;
  /**
   * Who answers the request if the system gives this admission up before it is attached (its
   * `authorize` took longer than `authorizeTimeoutMs`, or `stop()` was called). Without a handler
   * the place is given back at once and a later `attach` throws.
   */
  onRevoke(handler: RevokeHandler): void;
}

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
   * `attach` the admission to their {@link Sink} (or `cancel` it).
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
