import type { Clock } from './clock.ts';

/** Something the wheel keeps alive: it gets `keepAlive()` after `interval` ms without a `touch`. */
export interface KeepAliveEntry {
  keepAlive(): void;
}

/**
 * One keep-alive timer per system instead of one per connection (DESIGN: a pending timer per actor
 * costs 560–780 B and a clearTimeout+setTimeout on every write).
 *
 * Entries sit in a Map in last-write order (delete + set moves one to the end), so the head is
 * always the entry idle the longest and the single timer waits for the head's deadline. A write
 * is O(1) and never touches the timer; when the timer fires it handles every due entry and
 * re-arms for the new head.
 */
export class KeepAliveWheel<E extends KeepAliveEntry> {
  private readonly lastWrite = new Map<E, number>();
  private timer: unknown = undefined;

  constructor(
    private readonly clock: Clock,
    /** Milliseconds of idle before `keepAlive()`; 0 disables the wheel. */
    readonly interval: number,
  ) {}

  get size(): number {
    return this.lastWrite.size;
  }

  /** Starts watching `entry`, as if it had just written. */
  add(entry: E): void {
    if (this.interval === 0) return;
    this.touch(entry);
    if (this.timer === undefined) this.arm(this.clock.now() + this.interval);
  }

  /** Records a write (at `now`, when the caller has read the clock already): the entry's idle time starts again. */
  touch(entry: E, now: number = this.clock.now()): void {
    if (this.interval === 0) return;
    this.lastWrite.delete(entry);
    this.lastWrite.set(entry, now);
  }

  /** Stops watching `entry`; idempotent. */
  remove(entry: E): void {
    if (!this.lastWrite.delete(entry) || this.lastWrite.size > 0) return;
    this.disarm();
  }

  /** Stops the timer and forgets every entry. */
  clear(): void {
    this.lastWrite.clear();
    this.disarm();
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(deadline: number): void {
    this.disarm();
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, deadline - this.clock.now()));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = this.clock.now();
    const due: E[] = [];
    for (const [entry, at] of this.lastWrite) {
      if (at + this.interval > now) break;
      due.push(entry);
    }
    for (const entry of due) {
      // keepAlive() writes and so touches the entry; touch it here too in case the write was skipped.
      if (this.lastWrite.has(entry)) this.touch(entry);
      entry.keepAlive();
    }
    const head = this.lastWrite.values().next();
    if (!head.done && this.timer === undefined) this.arm(head.value + this.interval);
  };
}
