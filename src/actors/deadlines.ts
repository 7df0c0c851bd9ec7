import type { Clock } from './clock.ts';

/**
 * One timer per system for one-off deadlines (stream lifetimes, close timeouts), instead of a
 * timer per connection: a binary min-heap by time, armed for its earliest entry. Cancelling is
 * lazy: a cancelled entry stays in the heap and is skipped when it comes up.
 */
export class Deadlines {
  private readonly heap: Deadline[] = [];
  private timer: unknown = undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private cancelledInHeap = 0;

  constructor(private readonly clock: Clock) {}

  /** Live (not cancelled, not fired) deadlines. */
  get size(): number {
    return this.heap.length - this.cancelledInHeap;
  }

  /** Runs `fn` once `delayMs` from now on the clock; returns the handle to cancel it. */
  schedule(delayMs: number, fn: () => void): Deadline {
    const deadline = new Deadline(this.clock.now() + delayMs, fn, this);
    this.push(deadline);
    if (deadline.at < this.armedAt) this.arm(deadline.at);
    return deadline;
  }

  /** Drops every deadline and the timer. */
  clear(): void {
    for (const d of this.heap) d.cancelled = true;
    this.heap.length = 0;
    this.cancelledInHeap = 0;
    this.disarm();
  }

  /**
   * Called by {@link Deadline.cancel}. Cancelled entries wait in the heap for their time; when
   * they are the majority (connection churn under a long lifetime), the heap is rebuilt without
   * them so memory follows the live count.
   */
  cancelled(): void {
    this.cancelledInHeap += 1;
    if (this.cancelledInHeap === this.heap.length) return this.clear(); // nothing live: no timer either
    if (this.cancelledInHeap < 64 || this.cancelledInHeap * 2 < this.heap.length) return;
    const live = this.heap.filter((d) => !d.cancelled);
    this.heap.length = 0;
    this.cancelledInHeap = 0;
    for (const d of live) this.push(d);
    if (live.length === 0) this.disarm();
  }

  private arm(at: number): void {
    this.disarm();
    this.armedAt = at;
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, at - this.clock.now()));
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
    const due: Deadline[] = [];
    while (this.heap.length > 0 && (this.heap[0] as Deadline).at <= now) {
      const top = this.pop();
      if (top.cancelled) this.cancelledInHeap -= 1;
      else due.push(top);
    }
    while (this.heap.length > 0 && (this.heap[0] as Deadline).cancelled) {
      this.pop();
      this.cancelledInHeap -= 1;
    }
    const next = this.heap[0];
    if (next) this.arm(next.at);
    for (const d of due) {
      d.fired = true;
      d.fn();
    }
  };

  private push(d: Deadline): void {
    const heap = this.heap;
    heap.push(d);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as Deadline).at <= d.at) break;
      heap[i] = heap[parent] as Deadline;
      i = parent;
    }
    heap[i] = d;
  }

  private pop(): Deadline {
    const heap = this.heap;
    const top = heap[0] as Deadline;
    const last = heap.pop() as Deadline;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let atM = last.at;
        if (l < heap.length && (heap[l] as Deadline).at < atM) {
          m = l;
          atM = (heap[l] as Deadline).at;
        }
        if (r < heap.length && (heap[r] as Deadline).at < atM) m = r;
        if (m === i) break;
        heap[i] = heap[m] as Deadline;
        i = m;
      }
      heap[i] = last;
    }
    return top;
  }
}

/** A scheduled deadline; `cancel()` is O(1) and idempotent. */
export class Deadline {
  cancelled = false;
  fired = false;
  constructor(
    readonly at: number,
    readonly fn: () => void,
    private readonly owner: Deadlines,
  ) {}

  cancel(): void {
    if (this.cancelled || this.fired) return;
    this.cancelled = true;
    this.owner.cancelled();
  }
}
