import type { AnyActorRef } from 'xstate';
import type { ChildSpec, ExitReason } from './supervisor.ts';
import type { Sink, SinkListener } from './sink.ts';
import type { KeepAliveEntry, KeepAliveWheel } from './wheel.ts';
import type { Flusher } from './flusher.ts';
import type { Subscriber } from './registry.ts';
import type { Frame } from '../protocol/frame.ts';
import type { Deadline, Deadlines } from './deadlines.ts';
import { connectionMachine, BLOCKED, DRAINED, SINK_CLOSED, OVERFLOW, LIFETIME_ENDED, type ConnectionState } from './connection-machine.ts';

export { CLOSE, type ConnectionState } from './connection-machine.ts';

export type { Frame } from '../protocol/frame.ts';

// Sink events carry nothing but their type: one frozen object each, not one per send.
const BLOCKED_EVENT = Object.freeze({ type: BLOCKED });
const DRAINED_EVENT = Object.freeze({ type: DRAINED });
const SINK_CLOSED_EVENT = Object.freeze({ type: SINK_CLOSED });

/** Events are queued in notify order, so the first event tells whether any has expired (no allocation on the hot path). */
function hasExpired(frames: readonly Frame[], cutoff: number): boolean {
  for (const frame of frames) if (frame.event) return frame.at < cutoff;
  return false;
}

/** What connections share within one system. */
export interface ConnectionRuntime {
  readonly wheel: KeepAliveWheel<ConnectionHandle>;
  readonly flusher: Flusher<ConnectionHandle>;
  /** Adds a connection to the registry actor alive now (it may have been restarted). */
  subscribe(handle: ConnectionHandle): void;
  /** Removes a connection from the registry, if the registry is still there (not during a shutdown of everything). */
  unsubscribe(handle: ConnectionHandle): void;
  readonly keepAliveFrame: Frame;
  /** Events older than this many ms are not delivered from a mailbox (0 = no expiry). */
  readonly ttlMs: number;
  now(): number;
  /** What a client gets instead of events that expired in its mailbox. */
  expiredFrame(lastEventId: string): Frame;
  /** Mailbox bound: frames queued beyond `limit` are handled by `overflow`. */
  readonly mailbox: { readonly limit: number; readonly overflow: OverflowPolicy };
  /** One-off deadlines on the system clock (stream lifetime, close timeout). */
  readonly deadlines: Deadlines;
  /** This stream's lifetime in ms (jittered), or 0 for no limit. */
  lifetimeMs(): number;
  /** How long an ended stream may take to close before it is destroyed. */
  readonly closeTimeoutMs: number;
  /** The `retry:` hint written when the server ends a stream (jittered, so reconnects spread). */
  closeHint(): Frame;
  /** Frames after `lastId` on `topics` from history, or undefined when history cannot tell them exactly. */
  framesAfter(topics: readonly string[], lastId: string): Frame[] | undefined;
  /** System-wide counters. */
  readonly counters: ConnectionCounters;
  /** Event counters of the system: delivered and keep-alives are counted here. */
  readonly stats: { delivered: number; keepAlives: number };
  /** Told once a connection released everything (admission counts live connections). */
  released(handle: ConnectionHandle): void;
}

/** What happens when a connection's mailbox is full: drop its oldest frame, drop the new one, or end the stream. */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'close';

export interface ConnectionCounters {
  /** Frames dropped by `drop-oldest` / `drop-newest`. */
  dropped: number;
  /** Streams ended because their mailbox overflowed (`close`). */
  overflowClosed: number;
  /** Streams ended at `maxLifetimeMs`. */
  lifetimeEnded: number;
}

/**
 * A connection's child spec and everything that must outlive a crash of its actor: the sink,
 * the mailbox (a plain array of shared frames), the cursor (last id written to the socket) and the
 * delivered count. Data goes through here, never through `actor.send()`; only state changes
 * (blocked, drained, closed) are actor events.
 */
export class ConnectionHandle implements ChildSpec, KeepAliveEntry, Subscriber, SinkListener {
  /** The same for every connection: on the prototype, not in each instance. */
  get logic(): typeof connectionMachine {
    return connectionMachine;
  }

  /** Restarted after a crash (on the same socket), not after a normal exit. */
  get restart(): 'transient' {
    return 'transient';
  }

  /** Times its actor was restarted. */
  restarts = 0;
  /** When the stream opened (ms since the epoch). */
  readonly openedAt = Date.now();
  /** The machine's input is the handle itself. */
  get input(): ConnectionHandle {
    return this;
  }
  /** The actor running for this connection now. */
  actor: AnyActorRef | undefined;
  /** Frames waiting for the next write. */
  queue: Frame[] = [];
  /** The last id written to the socket (confirmed by the write callback). */
  cursor: string | undefined;
  /** The last id handed to the socket (written or on its way): where a restarted actor resumes. */
  private written: string | undefined;
  private sinkEnded = false;
  /** Events written to the socket (confirmed by the write callback). */
  delivered = 0;
  /** Frames this connection dropped on overflow. */
  dropped = 0;
  /** The keep-alive wheel's bookkeeping (see KeepAliveEntry). */
  wheelIndex = -1;
  wheelKey = 0;
  lastWriteAt = 0;
  /** Set by the actor while it is `streaming`: the data path writes only then. */
  writable = false;
  dirty = false;
  private ending = false;
  /**
   * Writes handed to the socket and not yet confirmed, oldest first. Usually there is one: it
   * lives in the two fields; more spill into an array of [events, lastId] pairs.
   */
  private inFlight = 0;
  private oldestEvents = 0;
  private oldestId: string | undefined;
  private spill: Array<number | string | undefined> | undefined;
  private afterWrite: ((error?: Error | null) => void) | undefined;
  /** Frames at the head of the queue that the stream starts with (retry, initial chunk, replay): not counted against the mailbox limit. */
  private startup: number;
  private lifetime: Deadline | undefined;
  private closeTimeout: Deadline | undefined;
  private released = false;
  private subscribed = false;
  private exited: Array<() => void> | undefined; // allocated only when someone waits

  constructor(
    readonly id: string,
    readonly topics: readonly string[],
    readonly sink: Sink,
    readonly runtime: ConnectionRuntime,
    /** What the stream starts with: retry hint, initial chunk, replayed events. */
    initial: Frame[],
    /** The id the client last saw (its `Last-Event-ID`), the cursor until something newer is written. */
    lastEventId: string | undefined,
  ) {
    this.queue = initial;
    this.startup = initial.length;
    this.cursor = lastEventId;
    this.written = lastEventId;
  }

  /** True once the server started ending this stream. */
  get isEnding(): boolean {
    return this.ending;
  }

  /** The actor's state now, or `closed` once it is gone. */
  get state(): ConnectionState {
    const snapshot = this.actor?.getSnapshot() as { value?: unknown; status?: string } | undefined;
    if (!snapshot || snapshot.status !== 'active') return 'closed';
    return snapshot.value as ConnectionState;
  }

  /** Appends a frame; it is written with everything else queued this turn. A full mailbox applies the overflow policy. */
  enqueue(frame: Frame): void {
    if (this.ending) return; // the stream is being ended: nothing more goes out
    const { limit, overflow } = this.runtime.mailbox;
    if (this.queue.length - this.startup >= limit) {
      if (overflow === 'close') {
        this.overflowed();
        return;
      }
      this.dropped += 1;
      this.runtime.counters.dropped += 1;
      if (overflow === 'drop-newest') return;
      this.queue.splice(this.startup, 1);
    }
    this.queue.push(frame);
    if (this.writable && !this.dirty) this.runtime.flusher.mark(this);
  }

  private overflowed(): void {
    // The client cannot keep up: forget the backlog and end with a retry hint; it reconnects
    // with Last-Event-ID and replay brings what it missed (or a reset, if history moved on).
    this.queue = [];
    this.startup = 0;
    this.ending = true;
    this.runtime.counters.overflowClosed += 1;
    this.actor?.send({ type: OVERFLOW });
  }

  /** Writes the whole queue in one write (the coalescing step). */
  flush(): void {
    if (!this.writable) return;
    const queued = this.queue;
    let frames = queued;
    if (frames.length === 0) return;
    this.startup = 0;
    const now = this.runtime.now();
    if (this.runtime.ttlMs > 0 && hasExpired(frames, now - this.runtime.ttlMs)) frames = this.dropExpired(frames, now - this.runtime.ttlMs);
    let events = 0;
    let lastId: string | undefined;
    let length = 0;
    for (const frame of frames) {
      length += frame.bytes.length;
      if (frame.event) {
        events += 1;
        if (frame.counter) frame.counter.delivered += 1;
      }
      if (frame.id !== undefined) lastId = frame.id;
    }
    const bytes = frames.length === 1 ? (frames[0] as Frame).bytes : Buffer.concat(frames.map((f) => f.bytes), length);
    // The bytes are ready: the same array becomes the empty mailbox again (no allocation per
    // flush), before the write, so anything queued while writing goes into the next one. A
    // backlog's big array is let go rather than kept for the connection's lifetime.
    if (queued.length > 64) this.queue = [];
    else queued.length = 0;
    if (lastId !== undefined) this.written = lastId;
    this.runtime.stats.delivered += events;
    // Writes complete in order: note what this one carries, and confirm it when its callback runs.
    // One callback per connection (made on its first write), not a closure per write.
    if (this.inFlight++ === 0) {
      this.oldestEvents = events;
      this.oldestId = lastId;
    } else (this.spill ??= []).push(events, lastId);
    const ok = this.sink.write(bytes, (this.afterWrite ??= this.confirm.bind(this)));
    this.runtime.wheel.touch(this, now);
    if (!ok) this.actor?.send(BLOCKED_EVENT);
  }

  /** Write callback: the oldest write in flight reached the socket (or failed: the peer is gone). */
  private confirm(error?: Error | null): void {
    const events = this.oldestEvents;
    const lastId = this.oldestId;
    if (--this.inFlight > 0 && this.spill) {
      this.oldestEvents = this.spill.shift() as number;
      this.oldestId = this.spill.shift() as string | undefined;
    }
    // A failed write means the peer is gone (reset, or a half-open socket finally timing out).
    if (error) return void this.actor?.send(SINK_CLOSED_EVENT);
    this.delivered += events;
    if (lastId !== undefined) this.cursor = lastId;
  }

  /**
   * Events that waited in the mailbox past the TTL are not delivered: the client gets a reset
   * in their place (so it refetches state instead of silently missing them), then what is fresh.
   */
  private dropExpired(frames: Frame[], cutoff: number): Frame[] {
    let firstFresh = -1;
    let expiredAny = false;
    let lastExpiredId = this.cursor ?? '';
    const kept: Frame[] = [];
    for (const frame of frames) {
      if (frame.event && frame.at < cutoff) {
        expiredAny = true;
        if (frame.id !== undefined) lastExpiredId = frame.id;
        continue;
      }
      if (expiredAny && firstFresh === -1) firstFresh = kept.length;
      kept.push(frame);
    }
    kept.splice(firstFresh === -1 ? kept.length : firstFresh, 0, this.runtime.expiredFrame(lastExpiredId));
    return kept;
  }

  keepAlive(): void {
    this.runtime.stats.keepAlives += 1;
    this.queue.push(this.runtime.keepAliveFrame);
    this.flush();
  }

  /** Resolves once the connection stopped for good. */
  whenExited(): Promise<void> {
    if (this.released) return Promise.resolve();
    return new Promise((resolve) => (this.exited ??= []).push(resolve));
  }

  onStart(ref: AnyActorRef): void {
    this.actor = ref;
  }

  /**
   * The actor crashed and a new one takes over this socket. Whatever was handed to the socket is
   * on its way; the rest is rebuilt from history after the last id written, so even a crash in
   * the middle of a flush loses nothing and repeats nothing. (Without history, the mailbox as it
   * stands is kept.)
   */
  onCrash(): void {
    this.restarts += 1;
    this.stopStreaming();
    if (this.ending || this.written === undefined) return;
    const missed = this.runtime.framesAfter(this.topics, this.written);
    if (!missed) return;
    this.queue = [...this.queue.filter((frame) => !frame.event), ...missed];
    this.startup = this.queue.length;
  }

  onExit(reason: ExitReason): void {
    this.actor = undefined; // done for good: a dead handle must not keep the actor reachable (see ResponseSink.unlisten)
    // A normal exit went through `closed`, which unsubscribed; after a crash or a shutdown the
    // actor is gone without running its exit path, so its supervisor's cleanup does it here.
    if (reason.kind === 'normal') return this.release();
    // Ended for good by the server: tell the browser to come back (it replays with Last-Event-ID).
    this.queue = [];
    this.drainAndEnd();
    this.release();
  }

  onSinkDrain(): void {
    this.actor?.send(DRAINED_EVENT);
  }

  onSinkClose(): void {
    this.actor?.send(SINK_CLOSED_EVENT);
  }

  /** Listens to the sink and starts the lifetime clock (the actor's `open` entry). */
  acquire(): void {
    this.sink.listen(this);
    const lifetime = this.runtime.lifetimeMs();
    if (lifetime > 0 && !this.lifetime) {
      this.lifetime = this.runtime.deadlines.schedule(lifetime, () => {
        this.runtime.counters.lifetimeEnded += 1;
        this.actor?.send({ type: LIFETIME_ENDED });
      });
    }
  }

  /** Joins the registry's index (again, after a restart: the registry may have been rebuilt meanwhile). */
  subscribe(): void {
    this.subscribed = true;
    this.runtime.subscribe(this);
  }

  /** Leaves the registry's index; idempotent. */
  unsubscribe(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    this.runtime.unsubscribe(this);
  }

  startStreaming(): void {
    this.writable = true;
    this.runtime.wheel.add(this);
    if (this.queue.length === 0) return;
    // The first write of a new stream (headers, retry, initial chunk, replay) goes out at once:
    // nothing else is queued for it yet, so waiting for the turn's batch would only add latency.
    // After a drain or a restart, the backlog joins the turn's batch like any other write.
    if (this.inFlight === 0 && this.delivered === 0 && this.startup > 0 && !this.dirty) this.flush();
    else this.runtime.flusher.mark(this);
  }

  stopStreaming(): void {
    this.writable = false;
    this.runtime.wheel.remove(this);
  }

  /**
   * Writes what is queued and a retry hint, then ends the stream (graceful close). A client that
   * does not read what is left gets `closeTimeoutMs`, then its socket is destroyed.
   */
  drainAndEnd(): void {
    this.ending = true;
    if (this.sink.closed || this.sinkEnded) return;
    this.sinkEnded = true;
    this.queue.push(this.runtime.closeHint());
    this.writable = true;
    this.flush();
    this.writable = false;
    this.sink.end();
    this.closeTimeout ??= this.runtime.deadlines.schedule(this.runtime.closeTimeoutMs, () => this.sink.destroy());
  }

  /** Unsubscribes; releases the timer entry, the listeners and the queue; ends the sink if still open. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.unsubscribe();
    this.lifetime?.cancel();
    // An ended stream whose client has not taken the end yet keeps its close timeout.
    if (this.sink.closed || !this.sinkEnded) this.closeTimeout?.cancel();
    this.stopStreaming();
    this.sink.unlisten();
    this.queue = [];
    if (!this.sink.closed && !this.sinkEnded) this.sink.end();
    this.runtime.released(this);
    for (const resolve of this.exited ?? []) resolve();
    this.exited = undefined;
  }

  /** What the inspector and logs see instead of the socket. */
  toJSON(): { id: string; topics: readonly string[]; cursor: string | undefined; delivered: number; mailbox: number; dropped: number } {
    return { id: this.id, topics: this.topics, cursor: this.cursor, delivered: this.delivered, mailbox: this.queue.length, dropped: this.dropped };
  }
}

