import type { LogEntry } from './topic-log.ts';

/** What the budget needs of a log: to know whether an entry is still in it, and to evict its oldest. */
export interface BudgetedLog {
  /** True while `entry` is in the log. */
  holds(entry: LogEntry): boolean;
  /** Evicts the log's oldest entry when it is `entry`. */
  evictIfOldest(entry: LogEntry): void;
}

/**
 * One bound on the encoded bytes of every topic's log together (`history.maxTotalBytes`): a queue
 * of entries in append order across topics, so that past the bound the oldest event of any topic
 * leaves first (a per-topic bound alone multiplies with the number of topics). Entries that left
 * their log by its own bounds are skipped, and compacted away once they outnumber the live ones.
 */
export class HistoryBudget {
  /** Encoded bytes of every entry kept, across logs. */
  bytes = 0;
  /** Entries kept, across logs. */
  entries = 0;
  private logs: BudgetedLog[] = [];
  private queue: LogEntry[] = [];
  private head = 0;

  constructor(readonly maxBytes: number) {}

  get tracking(): boolean {
    return this.maxBytes !== Number.POSITIVE_INFINITY;
  }

  /** `entry` joined `log`; the oldest entries anywhere leave while the total is over the bound (never `entry`). */
  added(log: BudgetedLog, entry: LogEntry): void {
    this.bytes += entry.frame.bytes.length;
    this.entries += 1;
    if (!this.tracking) return;
    this.logs.push(log);
    this.queue.push(entry);
    while (this.bytes > this.maxBytes && this.head < this.queue.length) {
      const oldest = this.queue[this.head] as LogEntry;
      if (oldest === entry) break;
      (this.logs[this.head] as BudgetedLog).evictIfOldest(oldest);
      this.head += 1;
    }
    this.compact();
  }

  /** `entry` left its log (any bound, or the log was dropped). */
  removed(entry: LogEntry): void {
    this.bytes -= entry.frame.bytes.length;
    this.entries -= 1;
  }

  /** Keeps the queue within twice the live entries (plus slack): stale references are dropped. */
  private compact(): void {
    const queued = this.queue.length - this.head;
    if (queued <= 2 * this.entries + 1024) return;
    const logs: BudgetedLog[] = [];
    const queue: LogEntry[] = [];
    for (let n = this.head; n < this.queue.length; n++) {
      const log = this.logs[n] as BudgetedLog;
      const entry = this.queue[n] as LogEntry;
      if (!log.holds(entry)) continue;
      logs.push(log);
      queue.push(entry);
    }
    this.logs = logs;
    this.queue = queue;
    this.head = 0;
  }
}
