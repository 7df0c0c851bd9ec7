import type { DisconnectSelector, Occupancy, PresenceEntry } from '../transport/presence-types.ts';

/**
 * Who is here, and ending streams by who or where they are: part of every system
 * (`createSystem({ presence })` turns presence on; `disconnect` works with or without it).
 * @example
 * ```ts
 * const system = createSystem({ topics: ['room.*'], presence: { topics: ['room.*'], events: true } });
 * await system.presence('room.a');  // [{ id: 'u1', info: { name: 'Ada' }, connections: 2 }]
 * await system.occupancy('room.a'); // { users: 1, connections: 2 }
 * await system.disconnect({ user: 'u1', reconnect: false }); // 2: both of u1's streams ended
 * ```
 */
export interface PresencePort {
  /**
   * The users on `topic`, sorted by id, each with how many streams they have there (across nodes
   * with a shared store). What is pending on this node is applied first, so a caller sees the
   * streams it just opened. Rejects with `NotUnderPresenceError` for a topic no pattern of
   * `presence.topics` matches (or when presence is off).
   */
  presence(topic: string): Promise<PresenceEntry[]>;
  /** How many users and streams are on `topic`, without listing them. Rejects as {@link PresencePort.presence}. */
  occupancy(topic: string): Promise<Occupancy>;
  /**
   * Ends the streams of a user, of a topic, or of a user on a topic, and resolves with how many
   * were ended. With presence on, it goes through the presence store, so with a shared one (Redis)
   * it reaches every node; with presence off it ends this node's streams only. By default a stream
   * gets the normal end (a jittered `retry:`: the client's next authorize decides);
   * `reconnect: false` writes `event: sse-close` and a `retry:` of about 24.8 days first.
   * Rejects with `InvalidSelectorError` without `user` and `topic`, or with a field of the wrong type.
   */
  disconnect(selector: DisconnectSelector): Promise<number>;
}
