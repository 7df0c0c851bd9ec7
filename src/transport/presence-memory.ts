import type { DisconnectSelector, Occupancy, PresenceChange, PresenceDelta, PresenceEntry, PresenceHost, PresenceStore } from './presence-types.ts';
import type { JsonValue } from '../protocol/user.ts';

interface Here {
  info?: JsonValue;
  connections: number;
}

/**
 * Presence kept in this process: exact, one node. `createSystem` uses it when its transport offers
 * no shared store (`Transport.presence` undefined: the memory transport). A node of its own has no
 * peers to reap, so `host.reaped` is never called; `disconnect` reaches this node only.
 * @example
 * ```ts
 * const store = memoryPresence();
 * await store.start({ node: 'n1', ttlMs: 15_000, reaped: () => undefined, disconnect: () => 0 });
 * await store.apply([{ topic: 'room.a', id: 'u1', delta: 2 }]); // [{ type: 'join', topic: 'room.a', id: 'u1' }]
 * ```
 */
export function memoryPresence(): PresenceStore {
  const topics = new Map<string, Map<string, Here>>();
  let host: PresenceHost | undefined;
  const apply = (delta: PresenceDelta, changes: PresenceChange[]): void => {
    let users = topics.get(delta.topic);
    const here = users?.get(delta.id);
    const before = here?.connections ?? 0;
    const after = before + delta.delta;
    if (after > 0) {
      if (!users) topics.set(delta.topic, (users = new Map()));
      if (here) here.connections = after;
      else users.set(delta.id, delta.info === undefined ? { connections: after } : { info: delta.info, connections: after });
      if (before === 0) changes.push(change('join', delta.topic, delta.id, delta.info));
      return;
    }
    // A count that would go below zero is a caller's bug; it ends at zero, never negative.
    if (!here || !users) return;
    users.delete(delta.id);
    if (users.size === 0) topics.delete(delta.topic);
    changes.push(change('leave', delta.topic, delta.id, here.info));
  };
  return {
    start(next) {
      host = next;
      return Promise.resolve();
    },
    apply(deltas) {
      const changes: PresenceChange[] = [];
      for (const delta of deltas) if (delta.delta !== 0) apply(delta, changes);
      return Promise.resolve(changes);
    },
    list(topic) {
      const entries: PresenceEntry[] = [];
      for (const [id, here] of topics.get(topic) ?? []) entries.push(here.info === undefined ? { id, connections: here.connections } : { id, info: here.info, connections: here.connections });
      return Promise.resolve(entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
    },
    occupancy(topic) {
      const occupancy: Occupancy = { users: 0, connections: 0 };
      const users = topics.get(topic);
      if (!users) return Promise.resolve(occupancy);
      let connections = 0;
      for (const here of users.values()) connections += here.connections;
      return Promise.resolve({ users: users.size, connections });
    },
    disconnect(selector: DisconnectSelector) {
      return Promise.resolve(host ? host.disconnect(selector) : 0);
    },
    stop() {
      topics.clear();
      host = undefined;
      return Promise.resolve();
    },
  };
}

function change(type: 'join' | 'leave', topic: string, id: string, info: JsonValue | undefined): PresenceChange {
  return info === undefined ? { type, topic, id } : { type, topic, id, info };
}
