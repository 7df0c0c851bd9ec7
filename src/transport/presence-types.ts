import type { JsonValue } from '../protocol/user.ts';

/**
 * One node's change of a user's stream count on a topic, batched over `batchMs` (never 0: a
 * reconnect inside the window cancels out before it is applied).
 * @example
 * ```ts
 * const delta: PresenceDelta = { topic: 'room.a', id: 'u1', info: { name: 'Ada' }, delta: 2 }; // two tabs opened
 * ```
 */
export interface PresenceDelta {
  readonly topic: string;
  readonly id: string;
  readonly info?: JsonValue;
  readonly delta: number;
}

/**
 * A user's first stream on a topic anywhere (`join`), or their last one gone everywhere (`leave`).
 * @example
 * ```ts
 * const changes: readonly PresenceChange[] = await store.apply([{ topic: 'room.a', id: 'u1', delta: 1 }]);
 * // [{ type: 'join', topic: 'room.a', id: 'u1' }]
 * ```
 */
export interface PresenceChange {
  readonly type: 'join' | 'leave';
  readonly topic: string;
  readonly id: string;
  readonly info?: JsonValue;
}

/**
 * One user on a topic, across every node: `connections` counts their streams there.
 * @example
 * ```ts
 * const here: PresenceEntry[] = await system.presence('room.a'); // [{ id: 'u1', info: { name: 'Ada' }, connections: 2 }]
 * ```
 */
export interface PresenceEntry {
  readonly id: string;
  readonly info?: JsonValue;
  readonly connections: number;
}

/**
 * How many are on a topic, without listing them.
 * @example
 * ```ts
 * const { users, connections }: Occupancy = await system.occupancy('room.a');
 * ```
 */
export interface Occupancy {
  readonly users: number;
  readonly connections: number;
}

/**
 * Which streams `system.disconnect` ends (every node): a user's, a topic's, or a user's on a topic.
 * `reconnect: false` asks the browser not to come back (`event: sse-close`); by default the stream
 * ends with a retry, so the client's next `authorize` decides.
 * @example
 * ```ts
 * const selector: DisconnectSelector = { user: 'u1', topic: 'room.a', reconnect: false };
 * const ended: number = await system.disconnect(selector);
 * ```
 */
export interface DisconnectSelector {
  readonly user?: string;
  readonly topic?: string;
  readonly reconnect?: boolean;
}

/**
 * What a presence store asks of the system it serves.
 * @example
 * ```ts
 * const host: PresenceHost = { node: 'n1', ttlMs: 15_000, reaped: (changes) => console.log(changes), disconnect: () => 0 };
 * await memoryPresence().start(host);
 * ```
 */
export interface PresenceHost {
  /** This node's id (`createSystem({ node })`). */
  readonly node: string;
  /** A dead node's entries are gone after this many ms without its heartbeat. */
  readonly ttlMs: number;
  /**
   * Transitions this node must announce that none of its own `apply` calls returned: the users of a
   * dead node that this node reaped (exactly one surviving node reaps a given node).
   */
  reaped(changes: readonly PresenceChange[]): void;
  /** Ends the matching streams on this node; returns how many it ended. */
  disconnect(selector: DisconnectSelector): number;
}

/**
 * Where presence is kept: in this process (memory transport), or shared by every node (Redis).
 * A transport that spans nodes offers one through `Transport.presence()`.
 * @example
 * ```ts
 * const store: PresenceStore = memoryPresence();
 * await store.start({ node: 'n1', ttlMs: 15_000, reaped: () => undefined, disconnect: () => 0 });
 * await store.apply([{ topic: 'room.a', id: 'u1', delta: 1 }]); // [{ type: 'join', topic: 'room.a', id: 'u1' }]
 * await store.occupancy('room.a'); // { users: 1, connections: 1 }
 * ```
 */
export interface PresenceStore {
  start(host: PresenceHost): Promise<void>;
  /**
   * Applies this node's batched deltas in one atomic step and resolves with the global transitions
   * they caused (a user's first stream on a topic anywhere, their last gone everywhere). Across all
   * nodes, exactly one `apply` (or one reap) returns any one transition: its node announces it.
   */
  apply(deltas: readonly PresenceDelta[]): Promise<readonly PresenceChange[]>;
  list(topic: string): Promise<readonly PresenceEntry[]>;
  occupancy(topic: string): Promise<Occupancy>;
  /** Ends matching streams on every node, this one included; resolves with how many were ended in all. */
  disconnect(selector: DisconnectSelector): Promise<number>;
  stop(): Promise<void>;
}
