import type { Clock } from './clock.ts';
import { IndexedHeap, type HeapItem } from './heap.ts';

/** The longest delay a timer takes as given (Node's setTimeout clamps a longer one to 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One timer per system for one-off deadlines (stream lifetimes, close timeouts), instead of a
 * timer per connection: a min-heap by time, with the clock's timer armed for its earliest entry.
 */
export class Deadlines {
  private readonly heap = new IndexedHeap<Due>();
  private timer: unknown = undefined;
  private armedAt = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  /** Pending deadlines (not cancelled, not fired). */
  get size(): number {
    return this.heap.size;
  }

  /** Runs `fn` once `delayMs` from now on the clock; returns the handle to cancel it. */
  schedule(delayMs: number, fn: () => void): Deadline {
    const deadline = new Deadline(0, fn, this);
    this.enter(deadline, delayMs);
    return deadline;
  }

  /**
   * Puts an object that is its own deadline on the heap, due `delayMs` from now: no handle and no
   * closure per entry (an admission, one per request). Take it off with {@link cancel}.
   */
  enter(item: Due, delayMs: number): void {
    item.heapKey = this.clock.now() + delayMs;
    this.heap.push(item);
    if (item.heapKey < this.armedAt) this.arm(item.heapKey);
  }

  /** Drops every deadline and the timer. */
  clear(): void {
    this.heap.clear();
    this.disarm();
  }

  /**
   * Called by {@link Deadline.cancel}: O(log n). The timer stays armed when the last deadline goes:
   * it fires once, finds nothing due and stays off. Most deadlines are cancelled long before they
   * are due (an admission attached in the same turn, a lifetime that outlives its stream), and with
   * the heap often empty in between, clearing and setting the timer every time was a clearTimeout
   * and a setTimeout per connect (the clock's timers are unref'd: an idle armed one holds nothing open).
   */
  cancel(deadline: Due): void {
    this.heap.remove(deadline);
  }

  private arm(at: number): void {
    this.disarm();
    this.armedAt = at;
    // Node fires a timer of more than 2^31-1 ms after 1 ms: a deadline further away (a token's exp
    // a month out) is reached in steps, each firing early, finding nothing due and re-arming.
    this.timer = this.clock.setTimeout(this.fire, Math.min(MAX_TIMER_MS, Math.max(0, at - this.clock.now())));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    try {
      // One at a time, in time order: a callback may cancel a later deadline that is also due, or
      // schedule one that is due already; the heap is consistent before each call.
      for (let head = this.heap.peek(); head !== undefined && head.heapKey <= now; head = this.heap.peek()) {
        this.heap.pop();
        head.fire();
      }
    } finally {
      const next = this.heap.peek();
      if (next && next.heapKey < this.armedAt) this.arm(next.heapKey);
    }
  };
}

/** What the heap holds: due at `heapKey` on the system clock, `fire()` run once when due. */
export interface Due extends HeapItem {
  fire(): void;
}

/** A scheduled deadline; `cancel()` is idempotent (and a no-op once it fired). */
export class Deadline implements Due {
  heapIndex = -1;
  constructor(
    /** When it is due, on the system clock. */
    public heapKey: number,
    readonly fn: () => void,
    private readonly owner: Deadlines,
  ) {}

  fire(): void {
    this.fn();
  }

  cancel(): void {
    this.owner.cancel(this);
  }
}
