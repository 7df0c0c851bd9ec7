import { encodeComment } from './chunk.ts';
import { controlFrame, type Frame } from './frame.ts';

/**
 * The frames the server writes on its own, besides events and initial chunks: keep-alive comments,
 * `retry:` hints and `sse-reset` notices. Like every byte on the wire, they are made here.
 */

/**
 * The keep-alive comment written after `keepAlive` ms without a write.
 * @example
 * ```ts
 * encodeChunk({ data: [], comment: KEEP_ALIVE_COMMENT }); // ': keep-alive\n\n', what an idle stream gets
 * ```
 */
export const KEEP_ALIVE_COMMENT = 'keep-alive';

/** `: keep-alive\n\n`: a comment, so browsers dispatch nothing. */
export function keepAliveFrame(): Frame {
  return controlFrame(encodeComment(KEEP_ALIVE_COMMENT));
}

/** A `retry:` field alone (the browser's reconnection delay, in ms), as its own message. */
export function retryFrame(ms: number): Frame {
  return controlFrame(`retry: ${ms}\n\n`);
}

/**
 * Why a reconnecting client gets `event: sse-reset` instead of a replay.
 * @example
 * ```ts
 * const source = new EventSource('/news');
 * source.addEventListener('sse-reset', (message) => {
 *   const { reason } = JSON.parse(message.data) as { reason: ResetReason };
 *   if (reason !== 'history-off') console.warn('missed events could not be replayed:', reason);
 *   void refetchEverything();
 * });
 * ```
 */
export type ResetReason = 'unknown-id' | 'aged-out' | 'history-off';

/**
 * The name of the event a client gets when its `Last-Event-ID` cannot be replayed.
 * @example
 * ```ts
 * // In the browser: the server could not replay what this client missed, so start from the full state.
 * new EventSource('/news').addEventListener(RESET_EVENT, () => location.reload());
 * ```
 */
export const RESET_EVENT = 'sse-reset';

const RESET_MESSAGES: Record<ResetReason, string> = {
  'unknown-id': 'this id was never notified on these topics: refetch the full state',
  'aged-out': 'events after this id are no longer in the replay history: refetch the full state',
  'history-off': 'replay history is off on this server: refetch the full state',
};

/** The `event: sse-reset` frame: data is JSON `{ reason, lastEventId, message }`. */
export function resetFrame(reason: ResetReason, lastEventId: string): Frame {
  const data = JSON.stringify({ reason, lastEventId, message: RESET_MESSAGES[reason] });
  return controlFrame(`event: ${RESET_EVENT}\ndata: ${data}\n\n`);
}

/**
 * Why a request that could not stream right now was answered `sse-busy` (then ended): `full`
 * (`maxConnections` reached), `stopping` (the server is stopping or stopped), `authorize-timeout`
 * (its `authorize` did not settle within `authorizeTimeoutMs`).
 * @example
 * ```ts
 * new EventSource('/news').addEventListener(BUSY_EVENT, (message) => {
 *   const { reason } = JSON.parse(message.data) as { reason: BusyReason };
 *   console.info('server busy, the browser retries by itself:', reason);
 * });
 * ```
 */
export type BusyReason = 'full' | 'stopping' | 'authorize-timeout';

/** Every {@link BusyReason}, in one list (counters and metrics read it). */
export const BUSY_REASONS: readonly BusyReason[] = ['full', 'stopping', 'authorize-timeout'];

/**
 * The name of the event an EventSource gets when the server cannot stream to it right now: the
 * stream then ends, and the browser reconnects after the `retry:` that came with it.
 * @example
 * ```ts
 * const source = new EventSource('/news');
 * source.addEventListener(BUSY_EVENT, () => console.info('busy: the browser comes back by itself'));
 * ```
 */
export const BUSY_EVENT = 'sse-busy';

/**
 * The whole body of a busy answer: `retry: <ms>`, `event: sse-busy`, data `{"reason":"…"}`, in
 * one message (the browser applies `retry` as it parses it, then dispatches the event).
 */
export function busyFrame(reason: BusyReason, retryMs: number): Frame {
  return controlFrame(`retry: ${retryMs}\nevent: ${BUSY_EVENT}\ndata: {"reason":"${reason}"}\n\n`);
}

/**
 * The name of the event a stream gets when the server ended it for good (`system.disconnect(…, {
 * reconnect: false })`): a very large `retry:` follows, so a native EventSource does not come back;
 * `EventStream` (sse-actors/client) closes itself on it.
 * @example
 * ```ts
 * const source = new EventSource('/news');
 * source.addEventListener(CLOSE_EVENT, () => source.close()); // signed out: stop for good
 * ```
 */
export const CLOSE_EVENT = 'sse-close';

/** The `retry:` after `sse-close`: the largest delay browsers accept (2^31 − 1 ms, about 24.8 days). */
export const CLOSE_RETRY_MS = 2_147_483_647;

/** `event: sse-close` (data: JSON `{ reason }`) then `retry: 2147483647`: the end of a stream that must not come back. */
export function closeFrame(reason: string): Frame {
  return controlFrame(`event: ${CLOSE_EVENT}\ndata: ${JSON.stringify({ reason })}\n\nretry: ${CLOSE_RETRY_MS}\n\n`);
}
