import type { InspectionEvent } from 'xstate';
import type { OverflowPolicy } from '../actors/connection.ts';
import type { Clock } from '../runtime/clock.ts';
import type { EscalationReport } from '../actors/supervisor.ts';
import type { Transport } from '../transport/types.ts';

/**
 * Options of {@link createSystem}.
 * @example
 * createSystem({ topics: ['orders.eu', 'orders.us'], keepAlive: 15_000, history: { size: 10_000 }, maxConnections: 10_000 });
 */
export interface SystemOptions {
  /**
   * The registered topics (event_bus's `topics` config): names, and patterns that declare a family
   * (`'user.*'`: `*` is one dot-separated segment, `**` the rest). A name is a topic for the system's
   * life. A name that matches a family (`user.42`) is created on the first `ctx.sse` / `stream` /
   * `response` / `notify` that names it, and reclaimed once it has no subscriber and its history is
   * empty or expired. `system.registerTopic` / `unregisterTopic` add and remove names at runtime.
   * `ctx.sse` also accepts patterns: over names they are expanded when the stream opens; one that
   * reaches into a family is a live subscription (it gets topics created after it subscribed).
   */
  topics: readonly string[];
  /**
   * Live topics at most: fixed, registered and created from families together. Beyond it a new
   * topic is refused with `TooManyTopicsError` (503) and nothing of it is created.
   * @default 100000
   */
  maxTopics?: number;
  /**
   * Milliseconds without a write after which a connection gets a `: keep-alive` comment.
   * `0` turns keep-alive off.
   * @default the `SSE_KEEP_ALIVE_IN_MS` environment variable, else 1000
   */
  keepAlive?: number;
  /**
   * Observer of xstate inspection events for every actor of the system (connections, registry,
   * supervisors); pass `@statelyai/inspect`'s `inspector.inspect`. Off by default: it costs ~30% per send.
   * @default undefined
   */
  inspect?: (event: InspectionEvent) => void;
  /**
   * The clock for every timer of the system (keep-alive and actor delays).
   * @default real timers (unref'd, so an idle system never keeps the process alive)
   */
  clock?: Clock;
  /**
   * Replay history for `Last-Event-ID`: the last `size` events of each topic, for at most `ttlMs`.
   * `size: 0` turns replay off (a reconnecting client then gets `event: sse-reset`); `ttlMs: 0`
   * keeps events until `size` pushes them out. An event older than `ttlMs` is neither replayed nor
   * delivered from a slow connection's mailbox. `maxBytes` bounds each topic's log in encoded bytes:
   * the oldest events leave while the log is over it (the newest event is always kept).
   * `maxTotalBytes` bounds all topics' logs together: past it the oldest events of any topic leave
   * first (with many topics, `maxBytes` per topic alone is no bound).
   * @default { size: 1000, ttlMs: 60000, maxBytes: 8388608, maxTotalBytes: 268435456 } (8 MiB per topic, 256 MiB in all)
   */
  history?: { size?: number; ttlMs?: number; maxBytes?: number; maxTotalBytes?: number };
  /**
   * Reconnection delay in ms sent as a `retry:` field at the start of every new stream.
   * @default undefined (the browser's own delay, about 3 s)
   */
  retry?: number;
  /**
   * Bound of each connection's mailbox (frames waiting to be written; they wait while the client
   * reads slower than events come) and what happens beyond it: `'close'` ends the stream with a
   * retry hint, so the client reconnects and replay brings what it missed; `'drop-oldest'` /
   * `'drop-newest'` drop a frame and keep streaming (the client misses it).
   * @default { limit: 1024, overflow: 'close' }
   */
  mailbox?: { limit?: number; overflow?: OverflowPolicy };
  /**
   * Streams beyond this many (streams open plus admissions pending) are refused: an EventSource
   * (`Accept: text/event-stream`) gets a busy answer (`200`, a jittered `retry:`, `event: sse-busy`
   * with `{"reason":"full"}`, then the end: the browser comes back by itself); any other request
   * gets `503 Service Unavailable` with `Retry-After`.
   * @default Infinity (no limit)
   */
  maxConnections?: number;
  /**
   * The `retry:` of a busy answer (full, stopping, authorize timed out): `baseMs` plus a random
   * share of up to `jitterMs`, drawn per answer, so a crowd turned away together (a full server,
   * a deploy) comes back spread over `jitterMs` instead of all at once. `jitterMs: 0` turns the
   * spread off. docs/benchmarks.md (storm) has the numbers these defaults come from.
   * @default { baseMs: 1000, jitterMs: 4000 }
   */
  busyRetry?: { baseMs?: number; jitterMs?: number };
  /**
   * How long an admitted stream may wait to be attached (an `authorize` pending) before the system
   * gives its place up: an EventSource then gets a busy answer (`authorize-timeout`), any other
   * request `503`. Pending admissions count against `maxConnections` all along.
   * @default 10000
   */
  authorizeTimeoutMs?: number;
  /**
   * Most names and patterns one stream may ask for (`ctx.sse` / `system.stream` / `resolveTopics`).
   * Beyond it the request is answered 400 (`TopicLimitError`) before any pattern is expanded.
   * @default 32
   */
  maxTopicsPerStream?: number;
  /**
   * Most characters in one name or pattern a stream asks for. Beyond it: 400 (`TopicLimitError`).
   * @default 256
   */
  maxTopicLength?: number;
  /**
   * After this many ms (minus up to `lifetimeJitterMs`) a stream is ended gracefully with a retry
   * hint and the client reconnects, so load spreads over new instances after a deploy. 0 = no limit.
   * @default 0
   */
  maxLifetimeMs?: number;
  /** Up to this many ms are taken at random off each stream's lifetime, so they do not all end at once. @default 10% of `maxLifetimeMs` */
  lifetimeJitterMs?: number;
  /**
   * How long a stream the server ended may take to flush and close before its socket is destroyed.
   * @default 5000
   */
  closeTimeoutMs?: number;
  /**
   * Supervisor restart intensity, as OTP's: more than `maxRestarts` restarts within `withinMs`
   * escalates. For the system's services (registry, history) the count is shared and escalation
   * fails the system; for connections each has its own count, and escalation ends that stream
   * (with a retry hint) and nothing else.
   * @default { maxRestarts: 3, withinMs: 5000 }
   */
  restart?: { maxRestarts?: number; withinMs?: number };
  /**
   * Told whenever a supervisor gives up on an actor (restart intensity exceeded).
   * @default logs one line with console.error
   */
  onEscalation?: (report: EscalationReport) => void;
  /**
   * Number of partition supervisors connections are spread over (as Elixir's PartitionSupervisor).
   * @default 8
   */
  partitions?: number;
  /**
   * How events travel: `memoryTransport()` in this process, or `redisTransport({ url })` across
   * several nodes. One transport object per system.
   * @default memoryTransport()
   */
  transport?: Transport;
  /**
   * This node's name, shown in `snapshot()`, logs and metrics.
   * @default `${hostname()}:${process.pid}`
   */
  node?: string;
  /**
   * Presence for the topics matching `topics` (names or patterns of registered topics or families):
   * who is on a topic (`system.presence`, `system.occupancy`), counted from the streams opened with
   * a `user`; `events: true` also sends `event: presence` join/leave to the topic's subscribers.
   * Off by default, and then it costs nothing. docs/presence.md has the guarantees.
   * @default undefined (off); when set: { events: false, ttlMs: 15000, batchMs: 50 }
   */
  presence?: PresenceOptions;
}

/**
 * Options of presence (`createSystem({ presence })`).
 * @example
 * ```ts
 * createSystem({ topics: ['room.*'], presence: { topics: ['room.*'], events: true, batchMs: 100 } });
 * ```
 */
export interface PresenceOptions {
  /** The topics under presence: names, or patterns (`room.*`) over registered topics and families. */
  topics: readonly string[];
  /** Send `event: presence` (join / leave) to the topic's subscribers. @default false */
  events?: boolean;
  /**
   * With a shared store (Redis): a node silent this long is dead and its users leave everywhere.
   * @default 15000
   */
  ttlMs?: number;
  /**
   * Joins and leaves of one user on one topic within this many ms are summed before they are
   * applied: a reconnect inside the window shows neither a leave nor a join.
   * @default 50
   */
  batchMs?: number;
}
