import type { Frame } from '../protocol/frame.ts';
import type { KeepAliveScheduler } from '../runtime/keep-alive.ts';
import type { Flusher } from '../runtime/flusher.ts';
import type { Deadlines } from '../runtime/deadlines.ts';
import type { OverflowPolicy } from '../runtime/mailbox.ts';
import type { ScheduleSlot } from '../runtime/schedule-slot.ts';
import type { Sink } from '../runtime/sink.ts';
import type { Stats } from '../runtime/stats.ts';
import type { Subscriber } from './registry.ts';
import type { SseUser } from '../protocol/user.ts';

/** How connections behave: the system's options that concern one stream. */
export interface ConnectionPolicy {
  /** Mailbox bound: frames waiting on a socket that refused more, beyond `limit`, are handled by `overflow`. */
  readonly mailbox: { readonly limit: number; readonly overflow: OverflowPolicy };
  /** Events older than this many ms are not delivered from a mailbox (0 = no expiry). */
  readonly ttlMs: number;
  /** How long an ended stream may take to close before it is destroyed. */
  readonly closeTimeoutMs: number;
  /** This stream's lifetime in ms (jittered), or 0 for no limit. */
  lifetimeMs(): number;
}

/** The frames the system writes on its own (protocol/control.ts makes them). */
export interface ControlFrames {
  readonly keepAlive: Frame;
  /** The `retry:` hint written when the server ends a stream (jittered, so reconnects spread). */
  closeHint(): Frame;
  /** What a client gets instead of events that expired in its mailbox (counted as an `aged-out` reset). */
  expired(lastEventId: string): Frame;
}

/** A released stream, as the system sees it: its sink may still be closing. */
export interface ReleasedStream {
  readonly sink: Sink;
  readonly topics: readonly string[];
  /** Who the stream belonged to (presence counts its release). */
  readonly user?: SseUser | undefined;
}

/** What the connections of one system share: its timers, its coalescer, its services, its policy. */
export interface ConnectionRuntime {
  readonly clock: { now(): number };
  /** Ms since the epoch, read on the system clock (a simulated clock moves it too). */
  epoch(): number;
  readonly keepAlive: KeepAliveScheduler<ScheduleSlot>;
  readonly flusher: Flusher<ScheduleSlot>;
  /** One-off deadlines on the system clock (stream lifetime, close timeout). */
  readonly deadlines: Deadlines;
  /** The registry actor alive now (it may have been restarted): joining and leaving its index. */
  readonly registry: { subscribe(subscriber: Subscriber): void; unsubscribe(subscriber: Subscriber): void };
  /** Frames after `lastId` on `topics` from history, or undefined when history cannot tell them exactly. */
  readonly history: { framesAfter(topics: readonly string[], lastId: string): Frame[] | undefined };
  readonly policy: ConnectionPolicy;
  readonly frames: ControlFrames;
  /** The system's counts; a connection writes the ones whose events it owns. */
  readonly stats: Stats;
  /** Told once a connection released everything (admission counts live connections). */
  released(stream: ReleasedStream): void;
  /** Told when the socket of a released connection closed at last (it was ended and not yet closed at release). */
  closed(stream: ReleasedStream): void;
}
