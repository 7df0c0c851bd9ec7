import type { RedisClientLike } from './redis-connect.ts';

/**
 * Options of `redisTransport()`. Give at most one of `url`, `client` and `cluster`.
 * @example
 * ```ts
 * const transport = redisTransport({ url: 'redis://redis:6379', prefix: 'staging:', publish: { timeoutMs: 5000 }, streamMaxLen: 50_000 });
 * ```
 */
export interface RedisTransportOptions {
  /** A single Redis. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** A node-redis client of your own (`createClient()`); the transport duplicates it for its readers and never closes it. */
  client?: RedisClientLike;
  /** A Redis Cluster: any of its masters' URLs (the client discovers the rest). */
  cluster?: { rootNodes: readonly string[] };
  /** Prefix of every key; systems that must not see each other's events use different prefixes. @default 'sse-actors:' */
  prefix?: string;
  publish?: {
    /** Publishes in flight to Redis at once. @default 64 */
    concurrency?: number;
    /** Publishes waiting behind those; one more rejects at once with `TransportError`. @default 10000 */
    maxQueued?: number;
    /** From `notify` to Redis having the event; past it `notify` rejects and Redis refuses the event. @default 2000 */
    timeoutMs?: number;
  };
  /** Backoff between attempts while Redis is unreachable (doubling, with jitter). @default { minMs: 50, maxMs: 2000 } */
  reconnect?: { minMs?: number; maxMs?: number };
  /** How long one blocking read waits for new events before it asks again. @default 5000 */
  blockMs?: number;
  /** Entries fetched per topic per read. @default 1000 */
  readCount?: number;
  /**
   * Entries each stream keeps (approximately, `MAXLEN ~`): at least `history.size`, and enough for
   * a node to catch up after an outage. @default max(history.size, 1000)
   */
  streamMaxLen?: number;
}

/**
 * Defaults of `redisTransport()`, in one place.
 * @example
 * ```ts
 * const transport = redisTransport({ publish: { ...DEFAULT_REDIS_TRANSPORT.publish, timeoutMs: 5000 } });
 * ```
 */
export const DEFAULT_REDIS_TRANSPORT = {
  prefix: 'sse-actors:',
  publish: { concurrency: 64, maxQueued: 10_000, timeoutMs: 2000 },
  reconnect: { minMs: 50, maxMs: 2000 },
  blockMs: 5000,
  readCount: 1000,
} as const;
