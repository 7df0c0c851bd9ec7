import { redisTransport } from '../../src/index.ts';
import type { DisconnectSelector, PresenceChange, PresenceStore } from '../../src/transport/presence-types.ts';
import type { RedisPresence } from '../../src/transport/redis-presence.ts';

/** Where a presence store connects: the shared Redis, or a Cluster's masters. */
export type Where = { url: string } | { cluster: { rootNodes: readonly string[] } };

/** A Redis presence store started with no system: a transport with an empty host, and a recording PresenceHost. */
export interface StoreNode {
  readonly store: PresenceStore & Pick<RedisPresence, 'beat' | 'incarnation'>;
  /** What the store handed to `host.reaped`, in order. */
  readonly reaped: PresenceChange[];
  /** The selectors `host.disconnect` was called with. */
  readonly disconnects: DisconnectSelector[];
  stop(): Promise<void>;
}

export async function openStore(where: Where, prefix: string, node: string, ttlMs: number, ended = 0): Promise<StoreNode> {
  const transport = redisTransport({ ...where, prefix, blockMs: 1000 });
  await transport.start({ topics: [], history: { size: 0, ttlMs: 0 }, deliver: () => undefined, restore: () => undefined, stateChanged: () => undefined });
  const store = transport.presence() as StoreNode['store'];
  const reaped: PresenceChange[] = [];
  const disconnects: DisconnectSelector[] = [];
  try {
    await store.start({
      node,
      ttlMs,
      reaped: (changes) => void reaped.push(...changes),
      disconnect: (selector) => {
        disconnects.push(selector);
        return ended;
      },
    });
  } catch (error) {
    await transport.stop();
    throw error;
  }
  return { store, reaped, disconnects, stop: () => transport.stop() };
}
