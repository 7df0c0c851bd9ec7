import { HttpFacingError } from './errors.ts';

/**
 * A JSON value: what `user.info` may hold (it is sent to other subscribers in presence events).
 * @example
 * ```ts
 * const info: JsonValue = { name: 'Ada', avatar: '/a/ada.png', roles: ['admin'] };
 * ```
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Who a stream belongs to: `id` names the user across tabs and nodes (presence counts one entry per
 * id), `info` is what others may see of them (a display name, an avatar URL).
 * @example
 * ```ts
 * ctx.sse('room.a', undefined, { user: { id: 'u1', info: { name: 'Ada' } } });
 * ```
 */
export interface SseUser {
  readonly id: string;
  readonly info?: JsonValue;
}

/**
 * Longest `user.id`, in characters.
 * @example
 * ```ts
 * const id = session.userId.slice(0, MAX_USER_ID_LENGTH);
 * ```
 */
export const MAX_USER_ID_LENGTH = 256;
/**
 * Largest `user.info`, in bytes of its JSON encoding.
 * @example
 * ```ts
 * if (Buffer.byteLength(JSON.stringify(info)) > MAX_USER_INFO_BYTES) info = { name };
 * ```
 */
export const MAX_USER_INFO_BYTES = 4096;

/**
 * A `user` that is not `{ id: non-empty string (≤ 256 chars), info?: JSON value (≤ 4096 bytes as JSON) }`.
 * Answered as 400 before anything is written; the message says what was wrong, never echoes the value.
 * @example
 * ```ts
 * try {
 *   system.stream(req, res, 'news', undefined, { user: { id: '' } });
 * } catch (error) {
 *   if (error instanceof InvalidUserError) res.writeHead(error.status).end(error.message); // 400
 * }
 * ```
 */
export class InvalidUserError extends HttpFacingError {
  override readonly name = 'InvalidUserError';
  readonly status = 400;
}

/**
 * Checks `user` and returns a frozen plain copy (`info` through a JSON round trip, so what was
 * checked is what is kept and later sent). Throws {@link InvalidUserError}.
 * @example
 * ```ts
 * const user = validateUser({ id: 'u1', info: { name: 'Ada' } }); // frozen { id: 'u1', info: { name: 'Ada' } }
 * ```
 */
export function validateUser(user: unknown): SseUser {
  if (typeof user !== 'object' || user === null || Array.isArray(user)) throw new InvalidUserError(`user must be an object { id, info? }, got ${user === null ? 'null' : Array.isArray(user) ? 'an array' : typeof user}`);
  const { id, info } = user as { id?: unknown; info?: unknown };
  if (typeof id !== 'string') throw new InvalidUserError(`user.id must be a string, got ${id === null ? 'null' : typeof id}`);
  if (id.length === 0 || id.length > MAX_USER_ID_LENGTH) throw new InvalidUserError(`user.id must be 1 to ${MAX_USER_ID_LENGTH} characters long, got ${id.length}`);
  if (info === undefined) return Object.freeze({ id });
  let json: string | undefined;
  try {
    json = JSON.stringify(info);
  } catch {
    throw new InvalidUserError('user.info must be a JSON value (it could not be encoded: a cycle or a BigInt)');
  }
  if (json === undefined) throw new InvalidUserError(`user.info must be a JSON value, got ${typeof info}`);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_USER_INFO_BYTES) throw new InvalidUserError(`user.info must be at most ${MAX_USER_INFO_BYTES} bytes as JSON, got ${bytes}`);
  return Object.freeze({ id, info: JSON.parse(json) as JsonValue });
}

/**
 * What an `authorize` grants beyond "yes": who the stream belongs to, and when it must end
 * (`expiresAt`, ms since the epoch: the stream ends then with a jittered `retry:` so the browser
 * comes back with fresh credentials).
 * @example
 * ```ts
 * const grant: StreamGrant = { user: { id: payload.sub }, expiresAt: payload.exp * 1000 };
 * ```
 */
export interface StreamGrant {
  readonly user?: SseUser;
  readonly expiresAt?: number;
}

/** Checks a grant; returns a plain copy with a validated user. Throws {@link InvalidUserError} or TypeError. */
export function validateGrant(grant: StreamGrant): StreamGrant {
  const user = grant.user === undefined ? undefined : validateUser(grant.user);
  const { expiresAt } = grant;
  if (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))) throw new TypeError(`grant.expiresAt must be a finite number of ms since the epoch, got ${String(expiresAt)}`);
  return { user, expiresAt };
}
