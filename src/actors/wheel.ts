import type { Clock } from './clock.ts';

/**
 * Something the wheel keeps alive: it gets `keepAlive()` after `interval` ms without a `touch`.
 * The three numeric fields are the wheel's bookkeeping, kept on the entry so that watching it
 * allocates nothing; only the wheel writes them.
 */
export interface KeepAliveEntry {
  keepAlive(): void;
  /** Position in the wheel's heap, or -1 when not watched. */
  wheelIndex: number;
  /** When the wheel looks at the entry next: never later than its real deadline. */
  wheelKey: number;
  /** Time of the entry's last write. */
  lastWriteAt: number;
}

/**
 * One keep-alive timer per system instead of one per connection (DESIGN: a pending timer per actor
 * costs 560–780 B and a clearTimeout+setTimeout on every write).
 *
 * A write only stamps `lastWriteAt` on its entry: no reordering, no allocation, no timer call
 * (fan-out writes to every subscriber on every event, so this is the hot path). Entries sit in a
 * binary min-heap by `wheelKey`, a deadline that is never later than the real one
 * (`lastWriteAt + interval`); the single timer waits for the heap's head. When it fires, a head
 * idle for the whole interval gets `keepAlive()`; a head written since is only moved to its real
 * deadline. So each entry costs O(log n) once per interval at most, and a keep-alive goes out
 * exactly `interval` ms after the last write.
 */
export class KeepAliveWheel<E extends KeepAliveEntry> {
  private heap: E[] = [];
  private timer: unknown = undefined;
  private firing = false;

  constructor(
    private readonly clock: Clock,
    /** Milliseconds of idle before `keepAlive()`; 0 disables the wheel. */
    readonly interval: number,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Starts watching `entry`, as if it had just written. */
  add(entry: E): void {
    if (this.interval === 0) return;
    const now = this.clock.now();
    entry.lastWriteAt = now;
    if (entry.wheelIndex !== -1) return;
    // Every key in the heap is at most now + interval: the new entry goes last, no re-arming.
    entry.wheelKey = now + this.interval;
    entry.wheelIndex = this.heap.length;
    this.heap.push(entry);
    this.up(entry.wheelIndex);
    if (this.timer === undefined && !this.firing) this.arm(entry.wheelKey);
  }

  /** Records a write (at `now`, when the caller has read the clock already): the entry's idle time starts again. */
  touch(entry: E, now: number = this.clock.now()): void {
    entry.lastWriteAt = now;
  }

  /** Stops watching `entry`; idempotent. */
  remove(entry: E): void {
    const i = entry.wheelIndex;
    if (i === -1) return;
    entry.wheelIndex = -1;
    const last = this.heap.pop() as E;
    if (i < this.heap.length) {
      this.heap[i] = last;
      last.wheelIndex = i;
      this.down(i);
      this.up(last.wheelIndex);
    }
    if (this.heap.length === 0) this.disarm();
  }

  /** Stops the timer and forgets every entry. */
  clear(): void {
    for (const entry of this.heap) entry.wheelIndex = -1;
    this.heap = [];
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
      // `this.heap`, not a local: a keep-alive may end in clear() (a failed system).
      while (this.heap.length > 0) {
        const head = this.heap[0] as E;
        if (head.wheelKey > now) break;
        const deadline = head.lastWriteAt + this.interval;
        // Written since it was keyed, so not due yet: look again at its real deadline.
        head.wheelKey = deadline > now ? deadline : now + this.interval;
        this.down(0);
        if (deadline > now) continue;
        // Idle for the whole interval. Stamped here too, in case the keep-alive write is skipped;
        // the heap is consistent before calling out (keepAlive may remove entries).
        head.lastWriteAt = now;
        head.keepAlive();
      }
    } finally {
      this.firing = false;
      const head = this.heap[0];
      if (head && this.timer === undefined) this.arm(head.wheelKey);
    }
  };

  private up(i: number): void {
    const heap = this.heap;
    const entry = heap[i] as E;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as E;
      if (p.wheelKey <= entry.wheelKey) break;
      heap[i] = p;
      p.wheelIndex = i;
      i = parent;
    }
    heap[i] = entry;
    entry.wheelIndex = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const entry = heap[i] as E;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (heap[r] as E).wheelKey < (heap[l] as E).wheelKey ? r : l;
      const child = heap[c] as E;
      if (child.wheelKey >= entry.wheelKey) break;
      heap[i] = child;
      child.wheelIndex = i;
      i = c;
    }
    heap[i] = entry;
    entry.wheelIndex = i;
  }
}
