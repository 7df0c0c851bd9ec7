import type { PresenceStore } from './presence-types.ts';
/**
 * The transport seam: how `notify` publishes, how a node receives every event of its topics (its
 * own and other nodes'), and what a node restores into its replay history when it starts.
 *
 * A transport knows neither HTTP nor actors. It moves already-encoded messages; the system owns
 * the local history mirror and the fan-out to connections. Every node receives every message of
 * every fixed topic (`TransportHost.topics`) exactly once, in the topic's one order (for the memory
 * transport: notify order; for Redis: the stream's order), the publisher included.
 *
 * Topics created at runtime (families, `registerTopic`): a transport without `follow` delivers them
 * all, as the fixed ones (memory). A transport with `follow` / `unfollow` (Redis) delivers one only
 * while the node follows it: the system follows a topic when it gets its first local subscriber
 * and unfollows it when the last one leaves, so a node reads only what its clients listen to.
 */

/**
 * One notified event as it travels between nodes: encoded once, by the publisher.
 * @example
 * ```ts
 * const message: TransportMessage = { topic: 'news', id: '1', text: 'id: 1\ndata: hi\n\n', publishedAt: Date.now() };
 * ```
 */
export interface TransportMessage {
  /** A registered topic. */
  readonly topic: string;
  /** The wire id (`chunk.id ?? event.id`), unique per topic while it is in history. */
  readonly id: string;
  /** The complete encoded `text/event-stream` message (ends in a blank line). */
  readonly text: string;
  /** When it was notified: ms since the epoch on the publisher (`Date.now()`). */
  readonly publishedAt: number;
}

/**
 * Where a transport is: `connected` delivers; `reconnecting` keeps streams open and catches up once back.
 * @example
 * ```ts
 * const { state, lagMs } = system.snapshot().transport;
 * if (state === 'reconnecting') console.warn(`transport down, ${lagMs} ms behind`);
 * ```
 */
export type TransportState = 'starting' | 'connected' | 'reconnecting' | 'stopped';

/**
 * What `snapshot().transport` shows.
 * @example
 * ```ts
 * const status: TransportStatus = system.snapshot().transport;
 * // with the memory transport: { kind: 'memory', state: 'connected', lagMs: 0, pending: 0 }
 * ```
 */
export interface TransportStatus {
  /** `memory`, `redis`, or a custom transport's name. */
  readonly kind: string;
  readonly state: TransportState;
  /** How far this node's reading is behind the newest event it knows of, in ms (0 for memory). */
  readonly lagMs: number;
  /** Publishes handed to the transport and not yet acknowledged. */
  readonly pending: number;
  /** The last error, while not connected. */
  readonly lastError?: string;
}

/**
 * What the system gives a transport when it starts it.
 * @example
 * ```ts
 * // A transport that delivers every message back to its own system, as the memory transport does.
 * let host: TransportHost | undefined;
 * const loopback: Transport<void> = {
 *   kind: 'loopback',
 *   start: (h) => void (host = h),
 *   publish: (message) => host?.deliver(message),
 *   status: () => ({ kind: 'loopback', state: 'connected', lagMs: 0, pending: 0 }),
 *   stop: async () => void (host = undefined),
 * };
 * ```
 */
export interface TransportHost {
  /** The fixed topics (`createSystem({ topics })` names): the transport delivers all of them. */
  readonly topics: readonly string[];
  /**
   * Optional: the topic families (`createSystem({ topics: ['room.*'] })` patterns), for a transport
   * that announces a family's new names to the other nodes (Redis: see `watch`).
   */
  readonly families?: readonly string[];
  /** The replay history's bounds, for a transport that keeps history outside the process. */
  readonly history: { readonly size: number; readonly ttlMs: number };
  /** A live event, in its topic's order, exactly once per node: appended to history and fanned out. */
  deliver(message: TransportMessage): void;
  /** An event that was notified before this node started: appended to history only (nobody is subscribed yet). */
  restore(message: TransportMessage): void;
  /** The transport's state changed (logged once per change, shown in `snapshot().transport`). */
  stateChanged(state: TransportState, error?: unknown): void;
}

/**
 * A transport. `R` is what `notify` returns: `void` for one that delivers synchronously (memory),
 * `Promise<void>` for a remote one (resolves once the transport has the event, rejects with
 * `TransportError` when it cannot).
 * @example
 * ```ts
 * // Wraps the memory transport to log every publish.
 * function loggingTransport(inner = memoryTransport()): Transport<void> {
 *   return {
 *     kind: 'logging',
 *     start: (host) => inner.start(host),
 *     publish: (message) => {
 *       console.log('publish', message.topic, message.id);
 *       inner.publish(message);
 *     },
 *     status: () => ({ ...inner.status(), kind: 'logging' }),
 *     stop: () => inner.stop(),
 *   };
 * }
 * const system = createSystem({ topics: ['news'], transport: loggingTransport() });
 * ```
 */
export interface Transport<R extends void | Promise<void> = void | Promise<void>> {
  readonly kind: string;
  /** Starts delivering to `host`. A transport serves one system; starting it twice throws. */
  start(host: TransportHost): void | Promise<void>;
  /** Publishes one message; called only after the system checked and encoded it. */
  publish(message: TransportMessage): R;
  status(): TransportStatus;
  /** Stops reading and publishing; pending publishes reject. Idempotent. */
  stop(): Promise<void>;
  /**
   * Optional: starts delivering `topic` (not a fixed one) to this node. Resolves with the topic's
   * recent history, oldest first (at most `history.size`, none older than `history.ttlMs`), taken so
   * that the first live delivery of `topic` is the event right after the last one returned: nothing
   * between them, nothing twice. Rejects with `TransportError` when it cannot.
   */
  follow?(topic: string): Promise<readonly TransportMessage[]>;
  /** Optional, with `follow`: stops delivering `topic` to this node. */
  unfollow?(topic: string): void;
  /**
   * Optional, with `follow`: calls `announced` with each name of `family` (one of `host.families`)
   * that any node's publish creates from the moment the returned promise resolves on, so that a node
   * with a pattern subscriber over the family can follow it. Rejects with `TransportError`.
   */
  watch?(family: string, announced: (topic: string) => void): Promise<void>;
  /** Optional, with `watch`: stops announcing `family`'s new names to this node. */
  unwatch?(family: string): void;
  /**
   * The presence store shared by every node this transport spans (Redis), or undefined: then the
   * system keeps presence in its own process (the memory transport).
   */
  presence?(): PresenceStore;
}

/**
 * What `notify` returns for a transport.
 * @example
 * ```ts
 * type Sync = NotifyResult<MemoryTransport>; // void
 * type Remote = NotifyResult<Transport<Promise<void>>>; // Promise<void>
 * ```
 */
export type NotifyResult<T> = T extends Transport<infer R> ? R : void;
