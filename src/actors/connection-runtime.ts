import type { Frame } from '../protocol/frame.ts';
import type { KeepAliveScheduler } from './keep-alive.ts';
import type { Flusher } from './flusher.ts';
import type { Deadlines } from './deadlines.ts';
import type { OverflowPolicy } from './mailbox.ts';
import type { Connection } from './connection.ts';

/** Counters of the system that connections update (the fields of `snapshot().counters` they own). */
export interface ConnectionCounters {
  /** Frames dropped by `drop-oldest` / `drop-newest`. */
  dropped: number;
  /** Streams ended because their mailbox overflowed (`close`). */
  overflowClosed: number;
  /** Streams ended at `maxLifetimeMs`. */
  lifetimeEnded: number;
}

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
  /** What a client gets instead of events that expired in its mailbox. */
  expired(lastEventId: string): Frame;
}

/** What the connections of one system share: its timers, its coalescer, its services, its policy. */
export interface ConnectionRuntime {
  readonly clock: { now(): number };
  readonly keepAlive: KeepAliveScheduler<Connection>;
  readonly flusher: Flusher<Connection>;
  /** One-off deadlines on the system clock (stream lifetime, close timeout). */
  readonly deadlines: Deadlines;
  /** The registry actor alive now (it may have been restarted): joining and leaving its index. */
  readonly registry: { subscribe(connection: Connection): void; unsubscribe(connection: Connection): void };
  /** Frames after `lastId` on `topics` from history, or undefined when history cannot tell them exactly. */
  readonly history: { framesAfter(topics: readonly string[], lastId: string): Frame[] | undefined };
  readonly policy: ConnectionPolicy;
  readonly frames: ControlFrames;
  readonly counters: ConnectionCounters;
  /** Event counters: written event frames and keep-alives are counted by connections. */
  readonly stats: { delivered: number; keepAlives: number };
  /** Told once a connection released everything (admission counts live connections). */
  released(connection: Connection): void;
  /** Told when the socket of a released connection closed at last (it was ended and not yet closed at release). */
  closed(connection: Connection): void;
}
