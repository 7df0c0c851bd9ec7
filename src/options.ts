import type { InspectionEvent } from 'xstate';
import { InvalidOptionError } from './errors.ts';
import { isPattern } from './protocol/topics.ts';

/**
 * The timer source of a system: xstate's clock interface plus `now()`. xstate's `SimulatedClock`
 * fits as is, so tests step time instead of sleeping.
 */
export interface Clock {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
  now(): number;
}

/** Options of {@link createSystem}. */
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
   * delivered from a slow connection's mailbox.
   * @default { size: 1000, ttlMs: 60000 }
   */
  history?: { size?: number; ttlMs?: number };
  /**
   * Reconnection delay in ms sent as a `retry:` field at the start of every new stream.
   * @default undefined (the browser's own delay, about 3 s)
   */
  retry?: number;
  /**
   * Number of partition supervisors connections are spread over (as Elixir's PartitionSupervisor).
   * @default 8
   */
  partitions?: number;
}

/** Options after defaults and the environment are applied. */
export interface ResolvedOptions {
  topics: readonly string[];
  keepAlive: number;
  inspect: ((event: InspectionEvent) => void) | undefined;
  clock: Clock;
  partitions: number;
  history: { size: number; ttlMs: number };
  retry: number | undefined;
}

/** Default keep-alive interval when neither the option nor `SSE_KEEP_ALIVE_IN_MS` is set. */
export const DEFAULT_KEEP_ALIVE_MS = 1000;
/** Default replay history per topic. */
export const DEFAULT_HISTORY = { size: 1000, ttlMs: 60_000 } as const;
/** Default number of connection partitions. */
export const DEFAULT_PARTITIONS = 8;
/** The environment variable Elixir's `sse` reads for the keep-alive interval. */
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
  if (options.retry !== undefined && !isNonNegativeInteger(options.retry)) {
    throw new InvalidOptionError('retry', options.retry, 'a non-negative integer of milliseconds');
  }
  return {
    topics: resolveTopicList(options.topics),
    keepAlive: resolveKeepAlive(options.keepAlive, env),
    inspect: options.inspect,
    clock: options.clock ?? realClock,
    partitions,
    history: { size, ttlMs },
    retry: options.retry,
  };
}
