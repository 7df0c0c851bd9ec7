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
  // The common case is one frame between two writes (one event, one keep-alive): it sits in `one`,
  // so queueing and clearing it allocate nothing. Two or more sit in `many`, oldest first.
  private one: Frame | undefined;
  private many: Frame[] | undefined;
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
    this.startup = initial.length;
    this.hold(initial);
  }

  get length(): number {
    return this.many !== undefined ? this.many.length : this.one !== undefined ? 1 : 0;
  }

  /** True while the frames the stream starts with have not been written yet. */
  get starting(): boolean {
    return this.startup > 0;
  }

  /** The queued frames, oldest first; read them, then {@link clear}. */
  get frames(): readonly Frame[] {
    return this.many ?? (this.one !== undefined ? [this.one] : []);
  }

  /** The queued frame when there is exactly one (what a write takes without making an array), else undefined. */
  get single(): Frame | undefined {
    return this.one;
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
    if (this.behind && this.length - this.startup >= this.limit) {
      if (this.overflow === 'close') {
        this.replace([]);
        return 'overflow';
      }
      this.dropped += 1;
      if (this.overflow === 'drop-newest') return 'dropped';
      if (this.many !== undefined) {
        this.many.splice(this.startup, 1);
        this.many.push(frame);
      } else this.one = frame; // a limit of 1 and no start frame left: the one queued is the oldest
      return 'dropped';
    }
    this.pushControl(frame);
    return 'queued';
  }

  /** Appends a frame that is not subject to the bound (a keep-alive, a close hint). */
  pushControl(frame: Frame): void {
    if (this.many !== undefined) this.many.push(frame);
    else if (this.one === undefined) this.one = frame;
    else {
      this.many = [this.one, frame];
      this.one = undefined;
    }
  }

  /** Empties the mailbox after a write took its frames. */
  clear(): void {
    this.startup = 0;
    this.one = this.many = undefined;
  }

  /** Replaces the whole queue, e.g. with what a restarted actor must resend; those frames count as the stream's start. */
  replace(frames: Frame[]): void {
    this.startup = frames.length;
    this.hold(frames);
  }

  private hold(frames: Frame[]): void {
    this.one = frames.length === 1 ? frames[0] : undefined;
    this.many = frames.length > 1 ? frames : undefined;
  }
}
