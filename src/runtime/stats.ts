import type { BusyReason, ResetReason } from '../protocol/control.ts';

/**
 * The counters of `snapshot().counters`, in one list: the snapshot, the dashboard and the metrics
 * all read it (a new counter is one line here and one `+= 1` where its event happens).
 * @example
 * ```ts
 * const { counters } = system.snapshot();
 * for (const { key, label } of COUNTERS) console.log(`${label}: ${counters[key]}`);
 * ```
 */
export const COUNTERS = [
  { key: 'dropped', label: 'dropped', metric: 'dropped_frames_total', help: 'Frames dropped by a full drop-oldest / drop-newest mailbox.' },
  { key: 'overflowClosed', label: 'overflow closed', metric: 'overflow_closed_total', help: "Streams ended because their mailbox overflowed (overflow: 'close')." },
  { key: 'lifetimeEnded', label: 'lifetime ended', metric: 'lifetime_ended_total', help: 'Streams ended at their maximum lifetime.' },
  { key: 'rejected', label: 'rejected', metric: 'rejected_total', help: 'Streams refused by maxConnections (a 503, or a busy answer to an EventSource).' },
  { key: 'busyFull', label: 'busy: full', metric: 'busy_full_total', help: 'EventSources answered sse-busy because maxConnections was reached.' },
  { key: 'busyStopping', label: 'busy: stopping', metric: 'busy_stopping_total', help: 'EventSources answered sse-busy because the system was stopping or stopped.' },
  { key: 'busyAuthorizeTimeout', label: 'busy: authorize timeout', metric: 'busy_authorize_timeout_total', help: 'EventSources answered sse-busy because authorize did not settle within authorizeTimeoutMs.' },
  { key: 'disconnected', label: 'disconnected', metric: 'disconnected_total', help: 'Streams ended on this node by system.disconnect.' },
] as const;

/** The counter of each busy reason. */
const BUSY_COUNTERS = { full: 'busyFull', stopping: 'busyStopping', 'authorize-timeout': 'busyAuthorizeTimeout' } as const satisfies Record<BusyReason, string>;

/**
 * A key of {@link COUNTERS}: a field of `snapshot().counters`.
 * @example
 * ```ts
 * const name: CounterName = 'rejected';
 * console.log(system.snapshot().counters[name]);
 * ```
 */
export type CounterName = (typeof COUNTERS)[number]['key'];

/** Per topic: events notified on this node, event frames written to sockets on this node. */
export interface TopicCounts {
  notified: number;
  delivered: number;
}

/**
 * Every count a system keeps, in one object. Each field has one writer, the code that owns its
 * event: the connection (written frames, drops, overflow, lifetime, keep-alives), the system's
 * notify (notified), admission (rejected, busy answers), replay (replayed, resets). Readers copy it.
 */
export class Stats {
  readonly counters: Record<CounterName, number> = { dropped: 0, overflowClosed: 0, lifetimeEnded: 0, rejected: 0, busyFull: 0, busyStopping: 0, busyAuthorizeTimeout: 0, disconnected: 0 };
  notified = 0;
  delivered = 0;
  keepAlives = 0;
  replayed = 0;
  readonly resets: Record<ResetReason, number> = { 'unknown-id': 0, 'aged-out': 0, 'history-off': 0 };
  /**
   * By topic name, or by family pattern for the topics created from a family (one series per
   * family, however many topics it has): what the snapshot, dashboard and metrics show.
   */
  readonly topics = new Map<string, TopicCounts>();
  /** By live topic name: its own counts, or its family's. */
  private readonly byName = new Map<string, TopicCounts>();

  /** Starts counting `topic`, under `family` when it was created from one (idempotent). */
  track(topic: string, family?: string): void {
    this.byName.set(topic, this.series(family ?? topic));
  }

  /** The series of a topic name or a family pattern (made on first use). */
  series(key: string): TopicCounts {
    let counts = this.topics.get(key);
    if (!counts) this.topics.set(key, (counts = { notified: 0, delivered: 0 }));
    return counts;
  }

  /** An EventSource was answered `sse-busy` for `reason`. */
  busied(reason: BusyReason): void {
    this.counters[BUSY_COUNTERS[reason]] += 1;
  }

  /** Stops counting `topic` (reclaimed or unregistered); a family's series stays. */
  untrack(topic: string): void {
    this.byName.delete(topic);
    this.topics.delete(topic);
  }

  /** An event of `topic` was notified on this node. */
  notifiedOn(topic: string): void {
    const counts = this.byName.get(topic);
    if (counts) counts.notified += 1;
  }

  /** `frames` event frames of `topic` were written to a socket. */
  deliveredOn(topic: string, frames: number): void {
    const counts = this.byName.get(topic);
    if (counts) counts.delivered += frames;
  }
}
