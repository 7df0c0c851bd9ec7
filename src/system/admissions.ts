import type { SseUser } from '../protocol/user.ts';
import type { Frame } from '../protocol/frame.ts';
import type { BusyReason } from '../protocol/control.ts';
import type { Sink } from '../runtime/sink.ts';
import type { Stats } from '../runtime/stats.ts';
import type { Deadlines } from '../runtime/deadlines.ts';
import { PendingAdmission, type AdmissionHost } from './admission.ts';
import { TooManyConnectionsError } from './errors.ts';
import type { BusyAnswer } from './types.ts';

/** What {@link Admissions} needs from its system. */
export interface AdmissionsOptions {
  readonly maxConnections: number;
  readonly authorizeTimeoutMs: number;
  readonly busyRetry: { readonly baseMs: number; readonly jitterMs: number };
  /** Seconds in a 503's `Retry-After`. */
  readonly retryAfterSeconds: number;
  readonly deadlines: Deadlines;
  readonly stats: Stats;
  /** Replay, open the sink, subscribe (the system's half of attach). */
  start(admission: PendingAdmission, sink: Sink): string;
}

/**
 * Admission control: the places under `maxConnections` (streams admitted or live), the admissions
 * waiting to be attached with their authorize timeouts, and the busy answers (jittered retry,
 * counted by reason). The one owner of `live`: the system reports releases here.
 */
export class Admissions implements AdmissionHost {
  /** Streams admitted or started and not yet released. */
  private live = 0;
  private readonly pending = new Set<PendingAdmission>();
  private emptied: (() => void) | undefined;

  constructor(private readonly options: AdmissionsOptions) {}

  /** Admissions not attached yet (an `authorize` pending), or revoked and not answered yet. */
  get admitting(): number {
    return this.pending.size;
  }

  /** A busy answer for `reason`: a jittered retry (so a crowd turned away together spreads), counted when it goes to an EventSource. */
  busy(reason: BusyReason, eventStream: boolean): BusyAnswer {
    const { baseMs, jitterMs } = this.options.busyRetry;
    if (eventStream) this.options.stats.busied(reason);
    return { reason, retryMs: baseMs + Math.floor(Math.random() * (jitterMs + 1)) };
  }

  /** Takes a place, or throws {@link TooManyConnectionsError} (carrying a busy answer for an EventSource). */
  take(topics: readonly string[], lastEventId: string | undefined, start: Frame[], eventStream: boolean, user?: SseUser): PendingAdmission {
    const { maxConnections, authorizeTimeoutMs, deadlines } = this.options;
    if (this.live >= maxConnections) {
      this.options.stats.counters.rejected += 1;
      throw new TooManyConnectionsError(maxConnections, this.options.retryAfterSeconds, eventStream ? this.busy('full', true) : undefined);
    }
    this.live += 1;
    const admission = new PendingAdmission(this, topics, lastEventId, start, eventStream, user);
    this.pending.add(admission);
    deadlines.enter(admission, authorizeTimeoutMs);
    return admission;
  }

  expired(admission: PendingAdmission): void {
    admission.revoke(this.busy('authorize-timeout', admission.eventStream));
  }

  attach(admission: PendingAdmission, sink: Sink): string {
    const id = this.options.start(admission, sink);
    this.settle(admission);
    return id;
  }

  cancelled(admission: PendingAdmission): void {
    this.live -= 1;
    this.settle(admission);
  }

  /** A started stream was released: its place is free. */
  released(): void {
    this.live -= 1;
  }

  /** Stopping: every pending admission is revoked (its adapter answers it busy); resolves once all are settled. */
  revokeAll(): Promise<void> {
    for (const admission of [...this.pending]) admission.revoke(this.busy('stopping', admission.eventStream));
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.emptied = resolve));
  }

  /** After the stop timeout: what is still pending gives its place back (its adapter did not answer in time). */
  abandon(): void {
    for (const admission of [...this.pending]) admission.cancel();
  }

  private settle(admission: PendingAdmission): void {
    this.options.deadlines.cancel(admission);
    if (this.pending.delete(admission) && this.pending.size === 0) this.emptied?.();
  }
}
