import type { ResetReason } from '../protocol/control.ts';

/**
 * Event counters since the system started (what dashboards and metrics read).
 * @example
 * ```ts
 * const { notified, delivered, replayed, topics } = system.snapshot().events;
 * console.log(`${notified} notified, ${delivered} frames written, ${replayed} replayed`, topics);
 * ```
 */
export interface EventStats {
  /** Events notified on this node (published through the transport). */
  notified: number;
  /** Event frames written to sockets on this node (one per event per connection, replays included). */
  delivered: number;
  /** Keep-alive comments written. */
  keepAlives: number;
  /** Events replayed to reconnecting clients after their `Last-Event-ID`. */
  replayed: number;
  /** `sse-reset` messages sent, by reason (`aged-out` also counts events that expired in a mailbox). */
  resets: Record<ResetReason, number>;
  /** Per fixed or registered topic, and per family: events notified on this node, event frames written to sockets on this node. */
  topics: Record<string, { notified: number; delivered: number }>;
}
