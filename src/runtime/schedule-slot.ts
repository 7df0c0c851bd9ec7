import type { KeepAliveEntry } from './keep-alive.ts';
import type { Flushable } from './flusher.ts';

/** What a slot calls back: write what is queued, or write a keep-alive. */
export interface Scheduled {
  flush(): void;
  keepAlive(): void;
}

/**
 * One stream's place in the system's two schedulers: the keep-alive heap (`heapIndex`, `heapKey`,
 * `lastWriteAt`) and the flusher's batch (`dirty`). Those fields are the schedulers' bookkeeping,
 * written by them alone; the stream that owns the slot only reads them.
 */
export class ScheduleSlot implements KeepAliveEntry, Flushable {
  heapIndex = -1;
  heapKey = 0;
  lastWriteAt = 0;
  dirty = false;

  constructor(private readonly owner: Scheduled) {}

  flush(): void {
    this.owner.flush();
  }

  keepAlive(): void {
    this.owner.keepAlive();
  }
}
