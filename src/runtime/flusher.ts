/** Something with queued bytes to write in one go. */
export interface Flushable {
  /** Set while the flushable waits in a batch, so it is queued once per turn. */
  dirty: boolean;
  flush(): void;
}

/**
 * Coalesces writes: everything queued for a connection within one turn of the event loop goes
 * out in one write at `setImmediate` (2.8× raw `node:http`'s burst throughput: docs/decisions.md).
 */
export class Flusher<F extends Flushable> {
  private batch: F[] = [];
  private spare: F[] = []; // the two batches take turns, so a flush allocates nothing
  private scheduled = false;

  /** Queues `item` for the next flush; a no-op while it already waits. */
  mark(item: F): void {
    if (item.dirty) return;
    item.dirty = true;
    this.batch.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  /** Writes everything marked this turn; an arrow so `setImmediate` can take it as is. */
  private readonly run = (): void => {
    this.scheduled = false;
    const batch = this.batch;
    this.batch = this.spare;
    for (const item of batch) {
      item.dirty = false;
      item.flush();
    }
    batch.length = 0;
    this.spare = batch;
  };
}
