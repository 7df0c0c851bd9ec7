import type { InspectionEvent } from 'xstate';
import { InvalidOptionError } from './errors.ts';
import { isPattern } from '../protocol/topics.ts';
import type { OverflowPolicy } from '../actors/connection.ts';
import type { Clock } from '../runtime/clock.ts';
import type { EscalationReport } from '../actors/supervisor.ts';
import type { Transport } from '../transport/types.ts';
import { hostname } from 'node:os';
import { resolvePresence, type ResolvedPresence } from './presence-options.ts';

export type { Clock } from '../runtime/clock.ts';

export type { SystemOptions } from './options.ts';
import type { SystemOptions } from './options.ts';


/** Options after defaults and the environment are applied. */
export interface ResolvedOptions {
  /** The fixed topic names (patterns taken out: see `families`). */
  topics: readonly string[];
  /** The topic families: patterns whose matching names are created on first use. */
  families: readonly string[];
  /** Live topics at most (fixed, registered and created ones together). */
  maxTopics: number;
  keepAlive: number;
  inspect: ((event: InspectionEvent) => void) | undefined;
  clock: Clock;
  partitions: number;
  history: { size: number; ttlMs: number; maxBytes: number; maxTotalBytes: number };
  retry: number | undefined;
  mailbox: { limit: number; overflow: OverflowPolicy };
  maxConnections: number;
  busyRetry: { baseMs: number; jitterMs: number };
  authorizeTimeoutMs: number;
  maxTopicsPerStream: number;
  maxTopicLength: number;
  maxLifetimeMs: number;
  lifetimeJitterMs: number;
  closeTimeoutMs: number;
  restart: { maxRestarts: number; withinMs: number };
  onEscalation: (report: EscalationReport) => void;
  transport: Transport | undefined;
  node: string;
  /** Presence, or undefined when off (then nothing of it runs). */
  presence: ResolvedPresence | undefined;
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
export const DEFAULT_HISTORY = { size: 1000, ttlMs: 60_000, maxBytes: 8 * 1024 * 1024, maxTotalBytes: 256 * 1024 * 1024 } as const;
/**
 * Default bounds of what one stream may ask for.
 * @example
 * createSystem({ topics: ['news'], ...DEFAULT_TOPIC_LIMITS, maxTopicsPerStream: 8 });
 */
export const DEFAULT_TOPIC_LIMITS = { maxTopicsPerStream: 32, maxTopicLength: 256 } as const;
/**
 * Default bound of live topics (fixed, registered at runtime, and created from families).
 * @example
 * createSystem({ topics: ['user.*'], maxTopics: DEFAULT_MAX_TOPICS * 10 });
 */
export const DEFAULT_MAX_TOPICS = 100_000;
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

/**
 * Default `retry:` of a busy answer: 1 s plus up to 4 s at random (docs/benchmarks.md, storm).
 * @example
 * createSystem({ topics: ['news'], busyRetry: { ...DEFAULT_BUSY_RETRY, jitterMs: 10_000 } }); // a bigger crowd
 */
export const DEFAULT_BUSY_RETRY = { baseMs: 1000, jitterMs: 4000 } as const;
/**
 * Default time an `authorize` may take before the request is answered busy.
 * @example
 * createSystem({ topics: ['news'], authorizeTimeoutMs: DEFAULT_AUTHORIZE_TIMEOUT_MS / 2 });
 */
export const DEFAULT_AUTHORIZE_TIMEOUT_MS = 10_000;

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

const TOPIC_LIST = 'non-empty topic names, or family patterns whose segments are names, "*" or "**"';

/** Splits `topics` into fixed names and family patterns, without duplicates, in the order given. */
function resolveTopicList(topics: unknown): { topics: string[]; families: string[] } {
  if (!Array.isArray(topics)) throw new InvalidOptionError('topics', topics, 'an array of topic names');
  const names = new Set<string>();
  const families = new Set<string>();
  for (const topic of topics as unknown[]) {
    if (typeof topic !== 'string' || topic === '') throw new InvalidOptionError('topics', topic, TOPIC_LIST);
    if (!isPattern(topic)) names.add(topic);
    else if (topic.split('.').every((seg) => seg === '*' || seg === '**' || (seg !== '' && !seg.includes('*')))) families.add(topic);
    else throw new InvalidOptionError('topics', topic, TOPIC_LIST);
  }
  return { topics: [...names], families: [...families] };
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
  const maxTotalBytes = history.maxTotalBytes ?? DEFAULT_HISTORY.maxTotalBytes;
  if (maxTotalBytes !== Number.POSITIVE_INFINITY && (!isNonNegativeInteger(maxTotalBytes) || maxTotalBytes < 1)) {
    throw new InvalidOptionError('history.maxTotalBytes', maxTotalBytes, 'a positive integer of bytes across all topics, or Infinity');
  }
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
  const busyRetry = resolveBusyRetry(options.busyRetry);
  const authorizeTimeoutMs = options.authorizeTimeoutMs ?? DEFAULT_AUTHORIZE_TIMEOUT_MS;
  if (!isNonNegativeInteger(authorizeTimeoutMs)) throw new InvalidOptionError('authorizeTimeoutMs', authorizeTimeoutMs, 'a non-negative integer of milliseconds');
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
  const { topics, families } = resolveTopicList(options.topics);
  const maxTopics = options.maxTopics ?? DEFAULT_MAX_TOPICS;
  if (!isNonNegativeInteger(maxTopics) || maxTopics < 1) throw new InvalidOptionError('maxTopics', maxTopics, 'a positive integer');
  if (topics.length > maxTopics) throw new InvalidOptionError('maxTopics', maxTopics, `at least the ${topics.length} topics listed in topics`);
  if (options.onEscalation !== undefined && typeof options.onEscalation !== 'function') {
    throw new InvalidOptionError('onEscalation', typeof options.onEscalation, 'a function receiving an escalation report');
  }
  return {
    topics,
    families,
    maxTopics,
    keepAlive: resolveKeepAlive(options.keepAlive, env),
    inspect: options.inspect,
    clock: options.clock ?? realClock,
    partitions,
    history: { size, ttlMs, maxBytes, maxTotalBytes },
    retry: options.retry,
    mailbox: { limit, overflow },
    maxConnections,
    busyRetry,
    authorizeTimeoutMs,
    maxTopicsPerStream,
    maxTopicLength,
    maxLifetimeMs,
    lifetimeJitterMs,
    closeTimeoutMs,
    restart: { maxRestarts, withinMs },
    onEscalation: options.onEscalation ?? logEscalation,
    transport: resolveTransport(options.transport),
    node: resolveNode(options.node),
    presence: resolvePresence(options.presence, topics, families),
  };
}

function resolveBusyRetry(option: unknown): { baseMs: number; jitterMs: number } {
  if (option === undefined) return { ...DEFAULT_BUSY_RETRY };
  if (typeof option !== 'object' || option === null) throw new InvalidOptionError('busyRetry', option, 'an object { baseMs, jitterMs }');
  const { baseMs = DEFAULT_BUSY_RETRY.baseMs, jitterMs = DEFAULT_BUSY_RETRY.jitterMs } = option as { baseMs?: unknown; jitterMs?: unknown };
  if (!isNonNegativeInteger(baseMs)) throw new InvalidOptionError('busyRetry.baseMs', baseMs, 'a non-negative integer of milliseconds');
  if (!isNonNegativeInteger(jitterMs)) throw new InvalidOptionError('busyRetry.jitterMs', jitterMs, 'a non-negative integer of milliseconds (0 = no spread)');
  return { baseMs, jitterMs };
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
