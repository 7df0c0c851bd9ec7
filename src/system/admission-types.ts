import type { Chunk } from '../protocol/chunk.ts';
import type { Sink } from '../runtime/sink.ts';
import type { BusyReason } from '../protocol/control.ts';
import type { SseUser, StreamGrant } from '../protocol/user.ts';

// The port's admission types: what a stream asks for, and what it holds until it is attached.

/**
 * What a stream asks for when it is admitted: everything is checked here, before anything is written.
 * @example
 * ```ts
 * const admission = system.admit({ topics: 'news', initial: { data: 'welcome' }, lastEventId: '41' });
 * ```
 */
export interface AdmitRequest {
  /** Registered topic names, or patterns over them (`*` one segment, `**` the rest). */
  topics: string | readonly string[];
  /** The first chunk the stream writes (before any replay). */
  initial?: Chunk;
  /** The last event id the client saw (`Last-Event-ID`, or the `lastEventId` query parameter). */
  lastEventId?: string;
  /**
   * The client accepts `text/event-stream` (an EventSource). Then a refusal to stream right now
   * (`TooManyConnectionsError`, `SystemStoppedError`, a revocation) carries a {@link BusyAnswer}
   * and is counted by reason; the adapter answers it `200` + `sse-busy` instead of `503`.
   * @default false
   */
  eventStream?: boolean;
  /**
   * Who the stream belongs to (validated: `InvalidUserError`, 400). Kept by its connection actor,
   * shown in `snapshot()`, the dashboard and the inspector, and counted by presence.
   * @default undefined (an anonymous stream)
   */
  user?: SseUser;
}

/**
 * How to answer a request that cannot stream right now: `retry: retryMs`, `event: sse-busy` with
 * `{"reason": reason}`, then the end of the stream (the browser comes back by itself).
 * `retryMs` is jittered (`busyRetry`), so a crowd turned away together does not return together.
 * @example
 * ```ts
 * const busy: BusyAnswer = { reason: 'full', retryMs: 2480 };
 * ```
 */
export interface BusyAnswer {
  readonly reason: BusyReason;
  readonly retryMs: number;
}

/**
 * Told when the system gives a pending admission up: its `authorize` timed out
 * (`authorizeTimeoutMs`), or the system is stopping. It answers the request (busy for an
 * EventSource, 503 otherwise) and cancels the admission once the answer is out: the place is held
 * (and `stop()` waits) until then.
 * @example
 * ```ts
 * const admission = system.admit({ topics: 'news' });
 * admission.onRevoke((busy) => {
 *   res.writeHead(503, { 'Retry-After': String(Math.ceil(busy.retryMs / 1000)) }).end();
 *   res.once('close', () => admission.cancel());
 * });
 * ```
 */
export type RevokeHandler = (busy: BusyAnswer) => void;

/**
 * A stream admitted by {@link SystemPort.admit} and not attached yet. It holds a place under
 * `maxConnections` (shown as `snapshot().admitting`) until {@link Admission.attach} or
 * {@link Admission.cancel}; one of the two must follow, once.
 * @example
 * ```ts
 * const admission = system.admit({ topics: 'news', lastEventId });
 * if (!(await allowed(admission.topics))) admission.cancel();
 * else admission.attach(mySink); // replay and subscribe in one synchronous step; returns the connection id
 * ```
 */
export interface Admission {
  /** The registered topics the request stands for (patterns expanded), frozen. */
  readonly topics: readonly string[];
  /** The last event id the client saw, if any. */
  readonly lastEventId: string | undefined;
  /**
   * Starts the stream on `sink`: computes the replay, calls `sink.open()`, subscribes, and writes
   * the start (retry hint, initial chunk, replay) — one synchronous step, so no event falls between
   * replay and live. Throws `SystemStoppedError` (before `sink.open()`, nothing written) when the
   * system stopped since `admit`. Returns the connection id.
   */
  attach(sink: Sink): string;
  /** Who the stream belongs to: the request's `user`, or the one a {@link Admission.grant} set. */
  readonly user: SseUser | undefined;
  /**
   * Before {@link Admission.attach}: what an `authorize` granted. `user` replaces the request's;
   * `expiresAt` (ms since the epoch) ends the stream then, with a jittered `retry:` (a stream whose
   * grant has already expired ends as soon as it starts). Throws `InvalidUserError` / `TypeError`
   * on bad input and changes nothing then.
   */
  grant(grant: StreamGrant): void;
  /** Gives the place back without a stream (refused, or the client left). Idempotent. */
  cancel(): void;
  /**
   * Who answers the request if the system gives this admission up before it is attached (its
   * `authorize` took longer than `authorizeTimeoutMs`, or `stop()` was called). Without a handler
   * the place is given back at once and a later `attach` throws.
   */
  onRevoke(handler: RevokeHandler): void;
}
