/**
 * What the cluster transport's primary and workers say to each other over the IPC channel
 * `node:cluster` gives every worker, and the primary's bounded replay log. Pure: no process.
 */
import type { DisconnectSelector, Occupancy, PresenceChange, PresenceDelta, PresenceEntry } from './presence-types.ts';
import type { TransportMessage } from './types.ts';

/** Marks our messages among the application's own on the same IPC channel. */
export const WIRE_TAG = 'sse-actors/cluster';

/** A replay history's bounds, as a system announces them when it joins. */
export interface HistoryBounds {
  readonly size: number;
  readonly ttlMs: number;
}

/**
 * A presence store's request to the primary (`seq` numbers its answer; 0 for `count`, which needs none).
 * @example
 * ```ts
 * const request: PresenceRequest = { op: 'apply', deltas: [{ topic: 'room.a', id: 'u1', delta: 1 }] };
 * ```
 */
export type PresenceRequest =
  | { readonly op: 'start' | 'stop' }
  | { readonly op: 'apply'; readonly deltas: readonly PresenceDelta[] }
  | { readonly op: 'list' | 'occupancy'; readonly topic: string }
  | { readonly op: 'disconnect'; readonly selector: DisconnectSelector }
  | { readonly op: 'count'; readonly request: number; readonly count: number };

/**
 * The primary to one presence store: an answer, leaves of a worker that died, a disconnect to run.
 * @example
 * ```ts
 * const notice: PresenceNotice = { kind: 'reaped', changes: [{ type: 'leave', topic: 'room.a', id: 'u1' }] };
 * ```
 */
export type PresenceNotice =
  | { readonly kind: 'result'; readonly seq: number; readonly value: readonly PresenceChange[] | readonly PresenceEntry[] | Occupancy | number | null }
  | { readonly kind: 'reaped'; readonly changes: readonly PresenceChange[] }
  | { readonly kind: 'disconnect'; readonly request: number; readonly selector: DisconnectSelector };

/** Worker (or a system in the primary) → primary. `ref` names one transport of that process. */
export type ToPrimary =
  | { readonly tag: typeof WIRE_TAG; readonly type: 'presence'; readonly channel: string; readonly ref: number; readonly seq: number; readonly body: PresenceRequest }
  | { readonly tag: typeof WIRE_TAG; readonly type: 'join'; readonly channel: string; readonly ref: number; readonly history: HistoryBounds }
  | { readonly tag: typeof WIRE_TAG; readonly type: 'leave'; readonly channel: string; readonly ref: number }
  | { readonly tag: typeof WIRE_TAG; readonly type: 'publish'; readonly channel: string; readonly ref: number; readonly seq: number; readonly deadline: number; readonly message: TransportMessage };

/** Primary → worker. A `deliver` goes to each worker once per channel, whatever its systems on it. */
export type ToWorker =
  | { readonly tag: typeof WIRE_TAG; readonly type: 'presence'; readonly ref: number; readonly body: PresenceNotice }
  | { readonly tag: typeof WIRE_TAG; readonly type: 'joined'; readonly ref: number; readonly log: readonly TransportMessage[] }
  | { readonly tag: typeof WIRE_TAG; readonly type: 'deliver'; readonly channel: string; readonly message: TransportMessage }
  | { readonly tag: typeof WIRE_TAG; readonly type: 'published'; readonly ref: number; readonly seq: number; readonly error?: string };

/** True for a message of this protocol (the IPC channel carries the application's messages too). */
export function isWire<T extends ToPrimary | ToWorker>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && (message as { tag?: unknown }).tag === WIRE_TAG;
}

interface Logged {
  readonly seq: number;
  readonly message: TransportMessage;
}

/**
 * The primary's copy of one channel's recent events: per topic the newest `size` (the largest any
 * joined system asked for), in the primary's one order. A worker that starts (or replaces one that
 * crashed) restores its history from it, as a Redis node restores from the streams.
 */
export class ChannelLog {
  private readonly topics = new Map<string, Logged[]>();
  private seq = 0;
  private size = 0;

  /** A system joined with these bounds: the log keeps enough for the largest (ages are checked on restore). */
  widen(history: HistoryBounds): void {
    this.size = Math.max(this.size, history.size);
  }

  append(message: TransportMessage): void {
    if (this.size === 0) return;
    let entries = this.topics.get(message.topic);
    if (!entries) this.topics.set(message.topic, (entries = []));
    entries.push({ seq: (this.seq += 1), message });
    // Trimmed in halves' worth at a time: one splice per `size / 2` appends, not a shift per append.
    if (entries.length >= this.size * 1.5 + 1) entries.splice(0, entries.length - this.size);
  }

  /** Per topic the newest `history.size` events younger than `history.ttlMs`, in the one order across topics. */
  restore(history: HistoryBounds, now: number): TransportMessage[] {
    const oldest = history.ttlMs === 0 ? 0 : now - history.ttlMs;
    const picked: Logged[] = [];
    for (const entries of this.topics.values()) {
      for (const entry of entries.slice(Math.max(0, entries.length - history.size))) if (entry.message.publishedAt >= oldest) picked.push(entry);
    }
    return picked.sort((a, b) => a.seq - b.seq).map((entry) => entry.message);
  }

  /** Events kept (after trimming), for `status()`. */
  get length(): number {
    let total = 0;
    for (const entries of this.topics.values()) total += Math.min(entries.length, this.size);
    return total;
  }
}
