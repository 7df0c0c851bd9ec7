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
  // The two batches take turns and keep their backing stores: a flush allocates nothing, and a
  // batch of every stream (one event to all) does not grow a new array each time.
  private batch: Array<F | undefined> = [];
  private size = 0;
  private spare: Array<F | undefined> = [];
  private scheduled = false;

  /** Queues `item` for the next flush; a no-op while it already waits. */
  mark(item: F): void {
    if (item.dirty) return;
    item.dirty = true;
    this.batch[this.size++] = item;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  /** Writes everything marked this turn; an arrow so `setImmediate` can take it as is. */
  private readonly run = (): void => {
    this.scheduled = false;
    const batch = this.batch;
    const size = this.size;
    this.batch = this.spare;
    this.size = 0;
    for (let i = 0; i < size; i++) {
      const item = batch[i] as F;
      batch[i] = undefined; // no stream is kept reachable by a batch it has left
      item.dirty = false;
      item.flush();
    }
    // A batch far larger than the last turn's needs is let go (a burst of connections, once).
    this.spare = batch.length > 1024 && size < batch.length / 4 ? [] : batch;
  };
}
