import type { InspectionEvent } from 'xstate';
import { InvalidOptionError } from './errors.ts';
import { isPattern } from './protocol/topics.ts';
import type { OverflowPolicy } from './actors/connection.ts';
import type { Clock } from './actors/clock.ts';
import type { EscalationReport } from './actors/supervisor.ts';
import type { Transport } from './transport/types.ts';
import { hostname } from 'node:os';

export type { Clock } from './actors/clock.ts';

/**
 * Options of {@link createSystem}.
 * @example
 * createSystem({ topics: ['orders.eu', 'orders.us'], keepAlive: 15_000, history: { size: 10_000 }, maxConnections: 10_000 });
 */
export interface SystemOptions {
  /**
   * The registered topics (event_bus's `topics` config). `ctx.sse` and `notify` accept only these
   * (`ctx.sse` also accepts patterns over them: `*` is one dot-separated segment, `**` the rest).
   */
  topics: readonly string[];
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
   * @default { size: 1000, ttlMs: 60000, maxBytes: 8388608 } (8 MiB per topic)
   */
  history?: { size?: number; ttlMs?: number; maxBytes?: number };
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
   * Streams beyond this many get `503 Service Unavailable` with `Retry-After`.
   * @default Infinity (no limit)
   */
  maxConnections?: number;
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
}

/** Options after defaults and the environment are applied. */
export interface ResolvedOptions {
  topics: readonly string[];
  keepAlive: number;
  inspect: ((event: InspectionEvent) => void) | undefined;
  clock: Clock;
  partitions: number;
  history: { size: number; ttlMs: number; maxBytes: number };
  retry: number | undefined;
  mailbox: { limit: number; overflow: OverflowPolicy };
  maxConnections: number;
  maxTopicsPerStream: number;
  maxTopicLength: number;
  maxLifetimeMs: number;
  lifetimeJitterMs: number;
  closeTimeoutMs: number;
  restart: { maxRestarts: number; withinMs: number };
  onEscalation: (report: EscalationReport) => void;
  transport: Transport | undefined;
  node: string;
}

/**
 * Default keep-alive interval when neither the option nor `SSE_KEEP_ALIVE_IN_MS` is set.
 * @example
 * createSystem({ topics: ['news'], keepAlive: DEFAULT_KEEP_ALIVE_MS * 15 }); // every 15 s
 */
export const DEFAULT_KEEP_ALIVE_MS = 1000;
/**
 * Default replay history per topic.
 * @example
 * createSystem({ topics: ['news'], history: { ...DEFAULT_HISTORY, size: 10_000 } });
 */
export const DEFAULT_HISTORY = { size: 1000, ttlMs: 60_000, maxBytes: 8 * 1024 * 1024 } as const;
/**
 * Default bounds of what one stream may ask for.
 * @example
 * createSystem({ topics: ['news'], ...DEFAULT_TOPIC_LIMITS, maxTopicsPerStream: 8 });
 */
export const DEFAULT_TOPIC_LIMITS = { maxTopicsPerStream: 32, maxTopicLength: 256 } as const;
/**
 * Default mailbox bound per connection.
 * @example
 * createSystem({ topics: ['ticker'], mailbox: { ...DEFAULT_MAILBOX, overflow: 'drop-oldest' } });
 */
export const DEFAULT_MAILBOX = { limit: 1024, overflow: 'close' } as const;
/**
 * Default time an ended stream gets to close before it is destroyed.
 * @example
 * createSystem({ topics: ['news'], closeTimeoutMs: DEFAULT_CLOSE_TIMEOUT_MS * 2 });
 */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;
const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['drop-oldest', 'drop-newest', 'close'];
/**
 * Default restart intensity.
 * @example
 * createSystem({ topics: ['news'], restart: { ...DEFAULT_RESTART, maxRestarts: 10 } });
 */
export const DEFAULT_RESTART = { maxRestarts: 3, withinMs: 5000 } as const;

/** The default escalation report: one line on stderr. */
export function logEscalation(report: EscalationReport): void {
  const why = report.error instanceof Error ? report.error.message : String(report.error);
  const what = report.scope === 'child' ? `stopped "${report.actor}"` : `shut down its subtree and failed`;
  console.error(
    `[sse-actors] escalated: supervisor "${report.supervisor}" ${what}: "${report.actor}" crashed more than ${report.maxRestarts} times within ${report.withinMs} ms (last: ${why})`,
  );
}

/** Default number of connection partitions. */
export const DEFAULT_PARTITIONS = 8;
/**
 * The environment variable Elixir's `sse` reads for the keep-alive interval.
 * @example
 * process.env[KEEP_ALIVE_ENV] = '15000'; // as `SSE_KEEP_ALIVE_IN_MS=15000 node server.js` does
 */
export const KEEP_ALIVE_ENV = 'SSE_KEEP_ALIVE_IN_MS';

/** Real timers; unref'd so that keep-alive alone never holds the process open. */
export const realClock: Clock = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(id) {
    clearTimeout(id as NodeJS.Timeout);
  },
  now: () => performance.now(),
};

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function resolveKeepAlive(option: unknown, env: NodeJS.ProcessEnv): number {
  if (option !== undefined) {
    if (!isNonNegativeInteger(option)) throw new InvalidOptionError('keepAlive', option, 'a non-negative integer of milliseconds (0 = off)');
    return option;
  }
  const raw = env[KEEP_ALIVE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_KEEP_ALIVE_MS;
  const parsed = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!isNonNegativeInteger(parsed)) {
    throw new InvalidOptionError(KEEP_ALIVE_ENV, raw, 'a non-negative integer of milliseconds (0 = off) in the environment variable');
  }
  return parsed;
}

function resolveTopicList(topics: unknown): string[] {
  if (!Array.isArray(topics)) throw new InvalidOptionError('topics', topics, 'an array of topic names');
  for (const topic of topics) {
    if (typeof topic !== 'string' || topic === '' || isPattern(topic)) {
      throw new InvalidOptionError('topics', topic, 'non-empty topic names without "*" (patterns are for ctx.sse)');
    }
  }
  return [...new Set(topics as string[])];
}

/** Applies defaults and the environment; throws {@link InvalidOptionError} for a bad value. */
export function resolveOptions(options: SystemOptions, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object { topics, ... }');
  const partitions = options.partitions ?? DEFAULT_PARTITIONS;
  if (!isNonNegativeInteger(partitions) || partitions < 1) throw new InvalidOptionError('partitions', partitions, 'a positive integer');
  if (options.inspect !== undefined && typeof options.inspect !== 'function') {
    throw new InvalidOptionError('inspect', typeof options.inspect, 'a function receiving xstate inspection events');
  }
  const history = options.history ?? {};
  if (typeof history !== 'object' || history === null) throw new InvalidOptionError('history', history, 'an object { size, ttlMs }');
  const size = history.size ?? DEFAULT_HISTORY.size;
  const ttlMs = history.ttlMs ?? DEFAULT_HISTORY.ttlMs;
  if (!isNonNegativeInteger(size)) throw new InvalidOptionError('history.size', size, 'a non-negative integer (0 = no replay)');
  if (!isNonNegativeInteger(ttlMs)) throw new InvalidOptionError('history.ttlMs', ttlMs, 'a non-negative integer of milliseconds (0 = no expiry)');
  const maxBytes = history.maxBytes ?? DEFAULT_HISTORY.maxBytes;
  if (!isNonNegativeInteger(maxBytes) || maxBytes < 1) throw new InvalidOptionError('history.maxBytes', maxBytes, 'a positive integer of bytes per topic');
  if (options.retry !== undefined && !isNonNegativeInteger(options.retry)) {
    throw new InvalidOptionError('retry', options.retry, 'a non-negative integer of milliseconds');
  }
  const mailbox = options.mailbox ?? {};
  if (typeof mailbox !== 'object' || mailbox === null) throw new InvalidOptionError('mailbox', mailbox, 'an object { limit, overflow }');
  const limit = mailbox.limit ?? DEFAULT_MAILBOX.limit;
  const overflow = mailbox.overflow ?? DEFAULT_MAILBOX.overflow;
  if (!isNonNegativeInteger(limit) || limit < 1) throw new InvalidOptionError('mailbox.limit', limit, 'a positive integer (frames)');
  if (!OVERFLOW_POLICIES.includes(overflow)) throw new InvalidOptionError('mailbox.overflow', overflow, `one of ${OVERFLOW_POLICIES.map((p) => `'${p}'`).join(', ')}`);
  const maxConnections = options.maxConnections ?? Number.POSITIVE_INFINITY;
  if (maxConnections !== Number.POSITIVE_INFINITY && !isNonNegativeInteger(maxConnections)) {
    throw new InvalidOptionError('maxConnections', maxConnections, 'a non-negative integer or Infinity');
  }
  const maxTopicsPerStream = options.maxTopicsPerStream ?? DEFAULT_TOPIC_LIMITS.maxTopicsPerStream;
  if (!isNonNegativeInteger(maxTopicsPerStream) || maxTopicsPerStream < 1) throw new InvalidOptionError('maxTopicsPerStream', maxTopicsPerStream, 'a positive integer');
  const maxTopicLength = options.maxTopicLength ?? DEFAULT_TOPIC_LIMITS.maxTopicLength;
  if (!isNonNegativeInteger(maxTopicLength) || maxTopicLength < 1) throw new InvalidOptionError('maxTopicLength', maxTopicLength, 'a positive integer (characters)');
  const maxLifetimeMs = options.maxLifetimeMs ?? 0;
  if (!isNonNegativeInteger(maxLifetimeMs)) throw new InvalidOptionError('maxLifetimeMs', maxLifetimeMs, 'a non-negative integer of milliseconds (0 = no limit)');
  const lifetimeJitterMs = options.lifetimeJitterMs ?? Math.floor(maxLifetimeMs / 10);
  if (!isNonNegativeInteger(lifetimeJitterMs) || lifetimeJitterMs > maxLifetimeMs) {
    throw new InvalidOptionError('lifetimeJitterMs', lifetimeJitterMs, 'a non-negative integer of milliseconds, at most maxLifetimeMs');
  }
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  if (!isNonNegativeInteger(closeTimeoutMs)) throw new InvalidOptionError('closeTimeoutMs', closeTimeoutMs, 'a non-negative integer of milliseconds');
  const restart = options.restart ?? {};
  if (typeof restart !== 'object' || restart === null) throw new InvalidOptionError('restart', restart, 'an object { maxRestarts, withinMs }');
  const maxRestarts = restart.maxRestarts ?? DEFAULT_RESTART.maxRestarts;
  const withinMs = restart.withinMs ?? DEFAULT_RESTART.withinMs;
  if (!isNonNegativeInteger(maxRestarts)) throw new InvalidOptionError('restart.maxRestarts', maxRestarts, 'a non-negative integer');
  if (!isNonNegativeInteger(withinMs) || withinMs < 1) throw new InvalidOptionError('restart.withinMs', withinMs, 'a positive integer of milliseconds');
  if (options.onEscalation !== undefined && typeof options.onEscalation !== 'function') {
    throw new InvalidOptionError('onEscalation', typeof options.onEscalation, 'a function receiving an escalation report');
  }
  return {
    topics: resolveTopicList(options.topics),
    keepAlive: resolveKeepAlive(options.keepAlive, env),
    inspect: options.inspect,
    clock: options.clock ?? realClock,
    partitions,
    history: { size, ttlMs, maxBytes },
    retry: options.retry,
    mailbox: { limit, overflow },
    maxConnections,
    maxTopicsPerStream,
    maxTopicLength,
    maxLifetimeMs,
    lifetimeJitterMs,
    closeTimeoutMs,
    restart: { maxRestarts, withinMs },
    onEscalation: options.onEscalation ?? logEscalation,
    transport: resolveTransport(options.transport),
    node: resolveNode(options.node),
  };
}

function resolveTransport(transport: unknown): Transport | undefined {
  if (transport === undefined) return undefined;
  const t = transport as Partial<Transport> | null;
  if (typeof t !== 'object' || t === null || typeof t.start !== 'function' || typeof t.publish !== 'function' || typeof t.status !== 'function' || typeof t.stop !== 'function') {
    throw new InvalidOptionError('transport', transport, 'a transport: memoryTransport() or redisTransport({ url })');
  }
  return t as Transport;
}

function resolveNode(node: unknown): string {
  if (node === undefined) return `${hostname()}:${process.pid}`;
  if (typeof node !== 'string' || node === '' || /[\r\n]/.test(node)) throw new InvalidOptionError('node', node, 'a non-empty name without CR or LF');
  return node;
}
