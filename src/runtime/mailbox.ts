import type { Frame } from '../protocol/frame.ts';

/**
 * What happens when a connection's mailbox is full: drop its oldest frame, drop the new one, or end the stream.
 * @example
 * ```ts
 * const overflow: OverflowPolicy = 'drop-oldest'; // a ticker: the newest price matters, old ones may go
 * createSystem({ topics: ['ticker'], mailbox: { limit: 64, overflow } });
 * ```
 */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'close';

/** What {@link Mailbox.push} did with a frame. */
export type PushResult = 'queued' | 'dropped' | 'overflow';

/**
 * A connection's bounded queue of frames waiting for the next write.
 *
 * The bound measures how far behind the client is: it applies only while the socket refuses more
 * (`behind`: a write returned false and no `drain` came yet). Everything one turn of the event loop
 * queues for a client that keeps up goes out in that turn's single write, however large the burst,
 * so a fast client is never punished for a burst its socket takes at once. Frames the stream starts
 * with (retry hint, initial chunk, replay) are not counted.
 */
export class Mailbox {
  private queue: Frame[];
  /** Frames at the head that the stream starts with: not counted against the limit. */
  private startup: number;
  /** True while the socket refused more (between a write that returned false and `drain`). */
  private behind = false;
  /** Frames dropped by `drop-oldest` / `drop-newest`. */
  dropped = 0;

  constructor(
    private readonly limit: number,
    private readonly overflow: OverflowPolicy,
    initial: Frame[],
  ) {
    this.queue = initial;
    this.startup = initial.length;
  }

  get length(): number {
    return this.queue.length;
  }

  /** True while the frames the stream starts with have not been written yet. */
  get starting(): boolean {
    return this.startup > 0;
  }

  /** The queued frames, oldest first; read them, then {@link clear}. */
  get frames(): readonly Frame[] {
    return this.queue;
  }

  /** The socket refused more: from now on the bound applies. */
  pushedBack(): void {
    this.behind = true;
  }

  /** The socket took everything (`drain`): the bound no longer applies. */
  drained(): void {
    this.behind = false;
  }

  /** True while the socket refuses more. */
  get isBehind(): boolean {
    return this.behind;
  }

  /** Appends a frame, applying the overflow policy when the client is `limit` frames behind. */
  push(frame: Frame): PushResult {
    if (this.behind && this.queue.length - this.startup >= this.limit) {
      if (this.overflow === 'close') {
        this.replace([]);
        return 'overflow';
      }
      this.dropped += 1;
      if (this.overflow === 'drop-newest') return 'dropped';
      this.queue.splice(this.startup, 1);
      this.queue.push(frame);
      return 'dropped';
    }
    this.queue.push(frame);
    return 'queued';
  }

  /** Appends a frame that is not subject to the bound (a keep-alive, a close hint). */
  pushControl(frame: Frame): void {
    this.queue.push(frame);
  }

  /**
   * Empties the mailbox after a write took its frames. The same array and its backing store are
   * reused: `length = 0` would let V8 free the store, and the next push allocate one again (an
   * allocation per connection per event, measured in the scale scenario's GC time). A backlog's big
   * array is let go rather than kept for the connection's lifetime.
   */
  clear(): void {
    this.startup = 0;
    const queue = this.queue;
    if (queue.length > 64) this.queue = [];
    else while (queue.length > 0) queue.pop();
  }

  /** Replaces the whole queue, e.g. with what a restarted actor must resend; those frames count as the stream's start. */
  replace(frames: Frame[]): void {
    this.queue = frames;
    this.startup = frames.length;
  }
}
