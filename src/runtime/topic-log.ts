import type { Frame } from '../protocol/frame.ts';
import type { BudgetedLog, HistoryBudget } from './history-budget.ts';

/** One event kept for replay: its frame and its place in the system-wide notify order. */
export interface LogEntry {
  readonly seq: number;
  readonly frame: Frame;
}

/**
 * A bounded replay log for one topic: a ring of the last `size` events with an index by wire id,
 * plus the ids of the last `size` events that left it (so a reconnect with an aged-out id can be
 * told apart from an id that was never seen). Memory is bounded by `size` events and `maxBytes`
 * encoded bytes whatever the traffic (the newest event is kept even when it alone is larger).
 */
export class TopicLog implements BudgetedLog {
  private readonly ring: Array<LogEntry | undefined>;
  private head = 0; // index of the oldest entry
  private count = 0;
  private readonly byId = new Map<string, LogEntry>();
  private readonly gone = new Map<string, number>(); // id → seq of events that left; oldest first
  /** The highest seq that left the log: replay from an older point would have a gap here. */
  evictedUpTo = 0;
  /** Encoded bytes of the events kept. */
  bytes = 0;

  constructor(
    readonly size: number,
    readonly maxBytes = Number.POSITIVE_INFINITY,
    /** The bound shared by every topic's log, if any. */
    private readonly budget?: HistoryBudget,
  ) {
    this.ring = new Array<LogEntry | undefined>(size);
  }

  get length(): number {
    return this.count;
  }

  /** When the newest event kept was appended (on the system clock), if any. */
  get newestAt(): number | undefined {
    return this.count === 0 ? undefined : (this.ring[(this.head + this.count - 1) % this.size] as LogEntry).frame.at;
  }

  /** True while an event with this wire id is in the log. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The seq of an event with this id that was in the log and aged out (size or TTL). */
  lostSeq(id: string): number | undefined {
    return this.gone.get(id);
  }

  get(id: string): LogEntry | undefined {
    return this.byId.get(id);
  }

  append(entry: LogEntry): void {
    if (this.size === 0) return;
    if (this.count === this.size) this.evictOldest();
    this.ring[(this.head + this.count) % this.size] = entry;
    this.count += 1;
    this.bytes += entry.frame.bytes.length;
    if (entry.frame.id !== undefined) this.byId.set(entry.frame.id, entry);
    while (this.bytes > this.maxBytes && this.count > 1) this.evictOldest();
    this.budget?.added(this, entry);
  }

  holds(entry: LogEntry): boolean {
    return this.count > 0 && entry.seq > this.evictedUpTo && entry.seq <= (this.ring[(this.head + this.count - 1) % this.size] as LogEntry).seq;
  }

  evictIfOldest(entry: LogEntry): void {
    if (this.count > 0 && this.ring[this.head] === entry) this.evictOldest();
  }

  /** Empties the log (its topic was reclaimed or unregistered): its bytes leave the shared budget. */
  clear(): void {
    while (this.count > 0) this.evictOldest();
  }

  /** Drops entries notified before `cutoff` (the TTL). */
  expire(cutoff: number): void {
    while (this.count > 0 && (this.ring[this.head] as LogEntry).frame.at < cutoff) this.evictOldest();
  }

  /** Entries with `seq` greater than `after`, oldest first. */
  since(after: number): LogEntry[] {
    const out: LogEntry[] = [];
    // Entries are in seq order: walk back from the newest until we pass `after`.
    let i = this.count - 1;
    while (i >= 0 && (this.ring[(this.head + i) % this.size] as LogEntry).seq > after) i -= 1;
    for (let k = i + 1; k < this.count; k++) out.push(this.ring[(this.head + k) % this.size] as LogEntry);
    return out;
  }

  private evictOldest(): void {
    const entry = this.ring[this.head] as LogEntry;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.size;
    this.count -= 1;
    this.bytes -= entry.frame.bytes.length;
    this.budget?.removed(entry);
    this.evictedUpTo = entry.seq;
    const id = entry.frame.id;
    if (id === undefined || this.byId.get(id) !== entry) return;
    this.byId.delete(id);
    this.gone.delete(id);
    this.gone.set(id, entry.seq);
    if (this.gone.size > this.size) this.gone.delete(this.gone.keys().next().value as string);
  }
}
