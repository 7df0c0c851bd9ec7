import type { Chunk } from './chunk.ts';
import type { JsonValue } from './user.ts';

/**
 * The name of the event a presence topic's subscribers get when a user joins or leaves
 * (`createSystem({ presence: { topics, events: true } })`).
 * @example
 * ```ts
 * new EventSource('/room/a').addEventListener(PRESENCE_EVENT, (message) => {
 *   const { type, id } = JSON.parse(message.data) as { type: 'join' | 'leave'; id: string };
 *   console.log(id, type);
 * });
 * ```
 */
export const PRESENCE_EVENT = 'presence';

/**
 * What a presence event says: a user's first stream on the topic (`join`) or their last one gone (`leave`).
 * @example
 * ```ts
 * source.addEventListener('presence', (message) => {
 *   const { type, id, info } = JSON.parse(message.data) as PresenceMessage;
 * });
 * ```
 */
export interface PresenceMessage {
  readonly type: 'join' | 'leave';
  readonly id: string;
  readonly info?: JsonValue;
}

/**
 * The chunk of a presence event: `event: presence`, data `{"type","id","info"}` (`info` left out
 * when the user has none). The system notifies it like any event, so it is in history and replays.
 * @example
 * ```ts
 * encodeChunk(presenceChunk({ type: 'join', id: 'u1' }), 'presence-n1-0');
 * // 'id: presence-n1-0\nevent: presence\ndata: {"type":"join","id":"u1"}\n\n'
 * ```
 */
export function presenceChunk(message: PresenceMessage): Chunk {
  const body: PresenceMessage = message.info === undefined ? { type: message.type, id: message.id } : { type: message.type, id: message.id, info: message.info };
  return { event: PRESENCE_EVENT, data: JSON.stringify(body) };
}
