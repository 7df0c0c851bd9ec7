import { TransportError } from './errors.ts';

/**
 * The part of a node-redis client (`createClient()` from `redis` 5) the transport uses, so the
 * package's types need not be installed to use ours.
 * @example
 * ```ts
 * const { createClient } = await import('redis');
 * const client = createClient({ url: process.env.REDIS_URL });
 * client.on('error', (error) => console.error(error));
 * const system = createSystem({ topics: ['news'], transport: redisTransport({ client }) }); // duplicates it, never closes it
 * ```
 */
export interface RedisClientLike {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  duplicate(): RedisClientLike;
  sendCommand(args: string[]): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** One connection (or a cluster client) that routes a command by its first key. */
export interface Conn {
  send(key: string, args: string[]): Promise<unknown>;
  destroy(): void;
}

/** The publish connection and a factory of dedicated (blocking) reader connections. */
export interface Connector {
  readonly commands: Conn;
  reader(): Promise<Conn>;
  close(): void;
}

export interface ConnectOptions {
  url?: string;
  client?: RedisClientLike;
  cluster?: { rootNodes: readonly string[] };
  reconnect: { minMs: number; maxMs: number };
  onError(error: Error): void;
}

type RedisModule = typeof import('redis');

/** `redis` is an optional peer dependency: load it only when a Redis transport starts. */
async function loadRedis(): Promise<RedisModule> {
  try {
    return await import('redis');
  } catch (error) {
    throw new TransportError('redis', 'the "redis" package (node-redis 5) is not installed: npm install redis', error);
  }
}

/** Backoff with jitter, as node-redis's reconnectStrategy: attempt n waits min·2ⁿ up to max. */
export function backoffMs(attempt: number, reconnect: { minMs: number; maxMs: number }): number {
  const base = Math.min(reconnect.maxMs, reconnect.minMs * 2 ** Math.min(attempt, 20));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

function single(client: RedisClientLike): Conn {
  return { send: (_key, args) => client.sendCommand(args), destroy: () => client.destroy() };
}

export async function connect(options: ConnectOptions): Promise<Connector> {
  const owned: Array<{ destroy(): void }> = [];
  if (options.client) {
    const base = options.client;
    base.on('error', options.onError);
    if (!base.isOpen) await base.connect();
    return {
      commands: single(base),
      reader: async () => {
        const client = base.duplicate();
        client.on('error', options.onError);
        owned.push(client);
        await client.connect();
        return single(client);
      },
      close: () => owned.forEach((c) => c.destroy()),
    };
  }
  const redis = await loadRedis();
  const reconnectStrategy = (retries: number) => backoffMs(retries, options.reconnect);
  // No offline queue: while Redis is away a publish fails at once (TransportError) rather than
  // waiting in memory, and a blocked read fails so the reader can report and retry.
  if (options.cluster) {
    const cluster = redis.createCluster({
      rootNodes: options.cluster.rootNodes.map((url) => ({ url })),
      defaults: { disableOfflineQueue: true, socket: { reconnectStrategy } },
      minimizeConnections: true,
    });
    const wrap = (c: typeof cluster): Conn => {
      c.on('error', options.onError);
      owned.push(c);
      return { send: (key, args) => c.sendCommand(key, key.length === 0 || args[0] === 'XREAD' || args[0] === 'XREVRANGE', args), destroy: () => c.destroy() };
    };
    const commands = wrap(cluster);
    await cluster.connect();
    return {
      commands,
      reader: async () => {
        const reader = cluster.duplicate();
        const conn = wrap(reader);
        await reader.connect();
        return conn;
      },
      close: () => owned.forEach((c) => c.destroy()),
    };
  }
  const base = redis.createClient({ url: options.url ?? 'redis://127.0.0.1:6379', disableOfflineQueue: true, socket: { reconnectStrategy } });
  base.on('error', options.onError);
  owned.push(base);
  await base.connect();
  return {
    commands: single(base as unknown as RedisClientLike),
    reader: async () => {
      const client = base.duplicate();
      client.on('error', options.onError);
      owned.push(client);
      await client.connect();
      return single(client as unknown as RedisClientLike);
    },
    close: () => owned.forEach((c) => c.destroy()),
  };
}
