import type { Clock } from './clock.ts';
import { IndexedHeap, type HeapItem } from './heap.ts';

/**
 * Something kept alive: it gets `keepAlive()` after `interval` ms without a write. `heapIndex` and
 * `heapKey` are the scheduler's bookkeeping; `lastWriteAt` is stamped by every write.
 */
export interface KeepAliveEntry extends HeapItem {
  keepAlive(): void;
  /** Time of the entry's last write. */
  lastWriteAt: number;
}

/**
 * One keep-alive timer per system instead of one per connection (a pending timer per actor costs
 * 560–780 B and a clearTimeout + setTimeout on every write: docs/decisions.md).
 *
 * A write only stamps `lastWriteAt` on its entry: no reordering, no allocation, no timer call (fan-out
 * writes to every subscriber on every event, so this is the hot path). Entries sit in a min-heap by
 * `heapKey`, a deadline never later than the real one (`lastWriteAt + interval`); the single timer
 * waits for the head. When it fires, a head idle for the whole interval gets `keepAlive()`; a head
 * written since is only moved to its real deadline. So each entry costs O(log n) once per interval at
 * most, and a keep-alive goes out exactly `interval` ms after the last write.
 */
export class KeepAliveScheduler<E extends KeepAliveEntry> {
  private readonly heap = new IndexedHeap<E>();
  private timer: unknown = undefined;
  private firing = false;

  constructor(
    private readonly clock: Clock,
    /** Milliseconds of idle before `keepAlive()`; 0 disables keep-alive. */
    readonly interval: number,
  ) {}

  get size(): number {
    return this.heap.size;
  }

  /** Starts watching `entry`, as if it had just written. */
  add(entry: E): void {
    if (this.interval === 0) return;
    const now = this.clock.now();
    entry.lastWriteAt = now;
    if (entry.heapIndex !== -1) return;
    // Every key in the heap is at most now + interval: the new entry goes last, no re-arming.
    entry.heapKey = now + this.interval;
    this.heap.push(entry);
    if (this.timer === undefined && !this.firing) this.arm(entry.heapKey);
  }

  /** Records a write (at `now`, when the caller has read the clock already): the entry's idle time starts again. */
  touch(entry: E, now: number = this.clock.now()): void {
    entry.lastWriteAt = now;
  }

  /**
   * Stops watching `entry`; idempotent. The timer stays armed when the last entry goes: it fires
   * once, finds nothing and stays off (as `Deadlines`), so a stream opened and closed alone costs no
   * clearTimeout and setTimeout pair (the clock's timers are unref'd).
   */
  remove(entry: E): void {
    this.heap.remove(entry);
  }

  /** Stops the timer and forgets every entry. */
  clear(): void {
    this.heap.clear();
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
    this.firing = true;
    const now = this.clock.now();
    try {
      for (let head = this.heap.peek(); head !== undefined && head.heapKey <= now; head = this.heap.peek()) {
        const deadline = head.lastWriteAt + this.interval;
        // Written since it was keyed, so not due yet: look again at its real deadline.
        head.heapKey = deadline > now ? deadline : now + this.interval;
        this.heap.headKeyChanged();
        if (deadline > now) continue;
        // Idle for the whole interval. Stamped here too, in case the keep-alive write is skipped;
        // the heap is consistent before calling out (keepAlive may remove entries, or clear all).
        head.lastWriteAt = now;
        head.keepAlive();
      }
    } finally {
      this.firing = false;
      const head = this.heap.peek();
      if (head && this.timer === undefined) this.arm(head.heapKey);
    }
  };
}
