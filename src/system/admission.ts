import type { Frame } from '../protocol/frame.ts';
import type { Sink } from '../runtime/sink.ts';
import type { Due } from '../runtime/deadlines.ts';
import type { Admission, BusyAnswer, RevokeHandler } from './types.ts';
import type { BusyReason } from '../protocol/control.ts';
import { validateGrant, type SseUser, type StreamGrant } from '../protocol/user.ts';

/** What an admission asks of its system when it attaches, gives its place back, or is revoked. */
export interface AdmissionHost {
  /** Starts the stream on `sink` with `frames` first (replay computed now); returns the connection id. */
  attach(admission: PendingAdmission, sink: Sink): string;
  /** The place taken at admit is given back. */
  cancelled(admission: PendingAdmission): void;
  /** Its `authorizeTimeoutMs` passed before it was attached or cancelled. */
  expired(admission: PendingAdmission): void;
}

/**
 * An admitted stream waiting to be attached: its resolved topics, its start frames (retry hint,
 * initial chunk) and the client's last id. It holds one place under `maxConnections` until it is
 * attached or cancelled, whichever comes first; the other is then a no-op (cancel) or an error (attach).
 * The system may revoke it first (its `authorize` timed out, or the system is stopping): the
 * adapter's handler answers the request, and the place is held until the adapter cancels.
 */
export class PendingAdmission implements Admission, Due {
  private settled = false;
  private handler: RevokeHandler | undefined;
  /** Why the system gave this admission up, once it did. */
  revokedFor: BusyReason | undefined;
  /** Its place on the system's deadline heap while it waits (the admission is its own authorize timeout). */
  heapIndex = -1;
  heapKey = 0;
  /** Who the stream belongs to and when it ends (the request's user, then an authorize's grant). */
  identity: StreamGrant | undefined;

  constructor(
    private readonly host: AdmissionHost,
    readonly topics: readonly string[],
    readonly lastEventId: string | undefined,
    /** Retry hint and initial chunk, in the order they are written. */
    readonly start: Frame[],
    /** The client accepts `text/event-stream`: a revocation is answered (and counted) as busy. */
    readonly eventStream: boolean,
    user: SseUser | undefined,
  ) {
    this.identity = user === undefined ? undefined : { user };
  }

  /** The authorize timeout passed. */
  fire(): void {
    this.host.expired(this);
  }

  get user(): SseUser | undefined {
    return this.identity?.user;
  }

  grant(grant: StreamGrant): void {
    if (this.settled) throw new TypeError('This admission was already attached or cancelled: grant before attach');
    const valid = validateGrant(grant);
    this.identity = { user: valid.user ?? this.identity?.user, expiresAt: valid.expiresAt ?? this.identity?.expiresAt };
  }

  get pending(): boolean {
    return !this.settled;
  }

  attach(sink: Sink): string {
    if (this.settled) throw new TypeError('This admission was already attached or cancelled: admit the stream again');
    if (this.revokedFor !== undefined) throw new TypeError(`This admission was revoked (${this.revokedFor}) and answered: cancel it`);
    const id = this.host.attach(this, sink);
    this.settled = true;
    return id;
  }

  cancel(): void {
    if (this.settled) return;
    this.settled = true;
    this.host.cancelled(this);
  }

  onRevoke(handler: RevokeHandler): void {
    this.handler = handler;
  }

  /** The system gives this admission up: the handler answers (then cancels); without one, the place is given back now. */
  revoke(answer: BusyAnswer): void {
    if (this.settled || this.revokedFor !== undefined) return;
    this.revokedFor = answer.reason;
    const handler = this.handler;
    if (!handler) return this.cancel();
    try {
      handler(answer);
    } catch (error) {
      this.cancel();
      console.error('[sse-actors] an admission revoke handler threw:', error);
    }
  }
}
