import type { AnyActorRef } from 'xstate';
import type { ChildSpec, ExitReason } from './supervisor.ts';
import type { Sink, SinkListener } from '../runtime/sink.ts';
import { gatherFrames, type Frame } from '../protocol/frame.ts';
import { ScheduleSlot, type Scheduled } from '../runtime/schedule-slot.ts';
import type { Deadline } from '../runtime/deadlines.ts';
import type { ConnectionRuntime } from './connection-runtime.ts';
import { Mailbox } from '../runtime/mailbox.ts';
import { WriteLedger } from '../runtime/write-ledger.ts';
import { connectionMachine, BLOCKED, DRAINED, SINK_CLOSED, OVERFLOW, LIFETIME_ENDED, type ConnectionState, type ConnectionResources } from './connection-machine.ts';
import { dropExpired, hasExpired } from '../runtime/expiry.ts';
import type { SseUser, StreamGrant } from '../protocol/user.ts';

export { CLOSE, type ConnectionState } from './connection-machine.ts';
export type { OverflowPolicy } from '../runtime/mailbox.ts';
export type { ConnectionRuntime } from './connection-runtime.ts';

// Sink events carry nothing but their type: one frozen object each, not one per send.
const BLOCKED_EVENT = Object.freeze({ type: BLOCKED });
const DRAINED_EVENT = Object.freeze({ type: DRAINED });
const SINK_CLOSED_EVENT = Object.freeze({ type: SINK_CLOSED });
const OVERFLOW_EVENT = Object.freeze({ type: OVERFLOW });
const LIFETIME_EVENT = Object.freeze({ type: LIFETIME_ENDED });

/**
 * One stream: the child spec its partition supervises, and everything that must outlive a crash of
 * its actor (the sink, the {@link Mailbox}, the {@link WriteLedger}). Data goes through here, never
 * through `actor.send()`; only state changes (blocked, drained, closed, overflow) are actor events.
 *
 * Who releases what, once: the machine's states acquire (`open`: sink listeners, lifetime, registry)
 * and start/stop streaming (keep-alive entry); the supervisor calls {@link onExit} exactly once when
 * the child is gone for good, and that releases everything, whatever way the actor ended.
 */
export class Connection implements ChildSpec, ConnectionResources, SinkListener {
  // Spec fields on the prototype, not in each instance: the same machine for every connection,
  // restarted after a crash (on the same socket) but not after a normal exit, with itself as input.
  get logic(): typeof connectionMachine { return connectionMachine; }
  get restart(): 'transient' { return 'transient'; }
  get input(): Connection { return this; }

  /** Times its actor was restarted. */
  restarts = 0;
  /** When the stream opened (ms since the epoch, on the system clock). */
  readonly openedAt: number;
  /** The actor running for this connection now. */
  actor: AnyActorRef | undefined;
  readonly mailbox: Mailbox;
  readonly ledger: WriteLedger;
  /** Its place in the keep-alive heap and the flusher's batch (the schedulers' bookkeeping). */
  private readonly slot: ScheduleSlot;
  /** True while the actor is `streaming`: the data path writes only then. */
  private writable = false;
  private ending = false;
  private afterWrite: ((error?: Error | null) => void) | undefined;
  private lifetime: Deadline | undefined;
  private closeTimeout: Deadline | undefined;
  private exited: Array<() => void> | undefined; // allocated only when someone waits
  private gone = false;

  constructor(
    readonly id: string,
    readonly topics: readonly string[],
    readonly sink: Sink,
    readonly runtime: ConnectionRuntime,
    /** What the stream starts with: retry hint, initial chunk, replayed events. */
    initial: Frame[],
    /** The id the client last saw (its `Last-Event-ID`). */
    lastEventId: string | undefined,
    /** Who the stream belongs to and when it must end (an authorize's grant), if anyone said. */
    readonly identity?: StreamGrant,
  ) {
    const { limit, overflow } = runtime.policy.mailbox;
    this.mailbox = new Mailbox(limit, overflow, initial);
    this.ledger = new WriteLedger(lastEventId);
    this.slot = new ScheduleSlot(this as Scheduled);
    this.openedAt = runtime.epoch();
  }

  /** Who the stream belongs to, if anyone said. */
  get user(): SseUser | undefined { return this.identity?.user; }

  get isEnding(): boolean { return this.ending; }

  get sinkClosed(): boolean { return this.sink.closed; }

  /** The actor's state now, or `closed` once it is gone. */
  get state(): ConnectionState {
    const snapshot = this.actor?.getSnapshot() as { value?: unknown; status?: string } | undefined;
    if (!snapshot || snapshot.status !== 'active') return 'closed';
    return snapshot.value as ConnectionState;
  }

  /** Appends an event's frame; it is written with everything else queued this turn. */
  enqueue(frame: Frame): void {
    if (this.ending) return; // the stream is being ended: nothing more goes out
    const result = this.mailbox.push(frame);
    if (result === 'overflow') return this.overflowed();
    if (result === 'dropped') this.runtime.stats.counters.dropped += 1;
    else if (this.writable) this.runtime.flusher.mark(this.slot);
  }

  private overflowed(): void {
    // The client cannot keep up: its backlog is forgotten (the mailbox emptied itself) and the
    // stream ends with a retry hint; it reconnects with Last-Event-ID and replay brings what it
    // missed (or a reset, if history moved on).
    this.ending = true;
    this.runtime.stats.counters.overflowClosed += 1;
    this.actor?.send(OVERFLOW_EVENT);
  }

  /** Writes the whole mailbox in one write (the coalescing step). */
  flush(): void {
    if (!this.writable) return;
    const { runtime, mailbox } = this;
    const only = mailbox.single;
    if (only === undefined && mailbox.length === 0) return;
    const now = runtime.clock.now();
    const cutoff = runtime.policy.ttlMs > 0 ? now - runtime.policy.ttlMs : -Infinity;
    let bytes: Buffer;
    let events = 0;
    let lastId: string | undefined;
    if (only !== undefined && !(only.event && only.at < cutoff)) {
      // One frame (an event, a keep-alive): written as it is, without an array made for it.
      ({ bytes, id: lastId } = only);
      if (only.event) {
        events = 1;
        if (only.topic !== undefined) runtime.stats.deliveredOn(only.topic, 1);
      }
    } else {
      const frames = mailbox.frames; // read once: a lone (expired) frame is wrapped in a new array on each read
      ({ bytes, events, lastId } = gatherFrames(hasExpired(frames, cutoff) ? dropExpired(frames, cutoff, this.ledger.cursor, runtime.frames.expired) : frames, runtime.stats));
    }
    // The bytes are ready: the mailbox is emptied before the write, so anything queued while
    // writing goes into the next one.
    mailbox.clear();
    runtime.stats.delivered += events;
    this.ledger.record(events, lastId);
    // One callback per connection (made on its first write), not a closure per write.
    const ok = this.sink.write(bytes, (this.afterWrite ??= this.confirm.bind(this)));
    runtime.keepAlive.touch(this.slot, now);
    if (!ok) {
      this.mailbox.pushedBack();
      this.actor?.send(BLOCKED_EVENT);
    }
  }

  /** Write callback: the oldest write in flight reached the socket (or failed: the peer is gone). */
  private confirm(error?: Error | null): void {
    this.ledger.confirm(Boolean(error));
    // A failed write means the peer is gone (reset, or a half-open socket finally timing out).
    if (error) this.actor?.send(SINK_CLOSED_EVENT);
  }

  /** The keep-alive scheduler found this stream idle for a whole interval. */
  keepAlive(): void {
    this.runtime.stats.keepAlives += 1;
    this.mailbox.pushControl(this.runtime.frames.keepAlive);
    this.flush();
  }

  /** Resolves once the connection stopped for good and released everything. */
  whenExited(): Promise<void> {
    if (this.gone) return Promise.resolve();
    return new Promise((resolve) => (this.exited ??= []).push(resolve));
  }

  // --- the supervisor's callbacks (ChildSpec) ---

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
    const written = this.ledger.written;
    if (this.ending || written === undefined) return;
    const missed = this.runtime.history.framesAfter(this.topics, written);
    if (!missed) return;
    this.mailbox.replace([...this.mailbox.frames.filter((frame) => !frame.event), ...missed]);
  }

  /**
   * Gone for good; the supervisor calls this exactly once. A normal exit went through `closed`
   * (the client left, or the stream was ended and closed); after a crash past the restart
   * intensity or a shutdown, the server ends the stream with a retry hint first (the browser comes
   * back and replays with Last-Event-ID). Then everything is released.
   */
  onExit(reason: ExitReason): void {
    this.actor = undefined; // a dead connection must not keep its actor reachable (see ResponseSink.unlisten)
    if (reason.kind !== 'normal') {
      this.mailbox.replace([]);
      this.drainAndEnd();
    }
    this.release();
  }

  // --- the sink's callbacks (SinkListener) ---

  onSinkDrain(): void {
    this.mailbox.drained();
    this.actor?.send(DRAINED_EVENT);
  }

  onSinkClose(): void {
    if (this.gone) this.finish();
    else this.actor?.send(SINK_CLOSED_EVENT);
  }

  // --- the machine's actions (ConnectionResources) ---

  acquire(): void {
    this.sink.listen(this);
    const lifetime = this.lifetime ? undefined : this.runtime.policy.lifetimeMs(this.identity?.expiresAt);
    if (lifetime === undefined) return;
    this.lifetime = this.runtime.deadlines.schedule(lifetime, () => {
      this.runtime.stats.counters.lifetimeEnded += 1;
      this.actor?.send(LIFETIME_EVENT);
    });
  }

  subscribe(): void {
    this.runtime.registry.subscribe(this);
  }

  startStreaming(): void {
    this.writable = true;
    this.runtime.keepAlive.add(this.slot);
    if (this.mailbox.length === 0) return;
    // The first write of a new stream (headers, retry, initial chunk, replay) goes out at once:
    // nothing else is queued for it yet, so waiting for the turn's batch would only add latency.
    // After a drain or a restart, the backlog joins the turn's batch like any other write.
    if (this.ledger.pending === 0 && this.ledger.delivered === 0 && this.mailbox.starting && !this.slot.dirty) this.flush();
    else this.runtime.flusher.mark(this.slot);
  }

  stopStreaming(): void {
    this.writable = false;
    this.runtime.keepAlive.remove(this.slot);
  }

  /**
   * Writes what is queued and a retry hint (or `last`: `system.disconnect`'s `sse-close`), then ends the stream (graceful close). A client that
   * does not read what is left gets `closeTimeoutMs`, then its socket is destroyed.
   */
  drainAndEnd(last?: Frame): void {
    this.ending = true;
    if (this.sink.closed || this.sink.ended) return;
    this.mailbox.pushControl(last ?? this.runtime.frames.closeHint());
    this.writable = true;
    this.flush();
    this.writable = false;
    this.sink.end();
    this.closeTimeout = this.runtime.deadlines.schedule(this.runtime.policy.closeTimeoutMs, () => this.sink.destroy());
  }

  /** Leaves the registry; drops the keep-alive entry, the lifetime, the sink listeners and the mailbox; ends the sink if still open. */
  private release(): void {
    this.gone = true;
    this.runtime.registry.unsubscribe(this);
    this.lifetime?.cancel();
    this.stopStreaming();
    this.mailbox.clear();
    if (!this.sink.closed && !this.sink.ended) this.sink.end();
    // An ended stream whose client has not taken the end yet keeps its close timeout and its
    // close listener: `finish` runs when the socket closes (or is destroyed at the timeout).
    if (this.sink.closed) this.finish();
    this.runtime.released(this);
    const exited = this.exited;
    this.exited = undefined;
    if (exited) for (const resolve of exited) resolve();
  }

  /** The socket closed after release: the last listener and the close timeout go. */
  private finish(): void {
    this.closeTimeout?.cancel();
    this.sink.unlisten();
    if (this.gone) this.runtime.closed(this);
  }

  /** What the inspector and logs see instead of the socket. */
  toJSON(): { id: string; topics: readonly string[]; cursor: string | undefined; delivered: number; mailbox: number; dropped: number } {
    return { id: this.id, topics: this.topics, cursor: this.ledger.cursor, delivered: this.ledger.delivered, mailbox: this.mailbox.length, dropped: this.mailbox.dropped };
  }
}
