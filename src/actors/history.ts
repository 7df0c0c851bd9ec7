import type { ActorLogic } from 'xstate';
import { TopicLog, type LogEntry } from '../runtime/topic-log.ts';
import type { Frame } from '../protocol/frame.ts';
import type { ResetReason } from '../protocol/control.ts';
import type { ExitSignal } from './signals.ts';
import { serviceLogic, type ServiceSnapshot } from './service.ts';

/**
 * The history actor owns one bounded replay log per topic and is its only writer
 * (`history.append`). Replay on connect reads the logs directly, in the same synchronous step
 * that subscribes the connection, so no event can fall between replay and live delivery.
 */

export const APPEND = 'history.append';

export type HistoryEvent = { type: typeof APPEND; topic: string; frame: Frame } | ExitSignal;

/**
 * The logs and the notify counter. They belong to the history's child spec, not to the actor,
 * so a restarted history actor takes them over (as an ETS table with an heir): a crash loses no
 * event.
 */
export interface HistoryStore {
  readonly logs: Map<string, TopicLog>;
  seq: number;
}

/** `maxBytes` bounds each topic's log in encoded bytes (see {@link TopicLog}). */
export function createHistoryStore(topics: readonly string[], size: number, maxBytes = Number.POSITIVE_INFINITY): HistoryStore {
  return { logs: new Map(topics.map((topic) => [topic, new TopicLog(size, maxBytes)])), seq: 0 };
}

export interface HistoryInput {
  readonly store: HistoryStore;
  /** Events kept per topic; 0 turns history off. */
  readonly size: number;
  /** Events older than this many ms are neither replayed nor delivered; 0 = no expiry. */
  readonly ttlMs: number;
  readonly now: () => number;
}

export interface HistoryContext {
  readonly input: HistoryInput;
  /** The logs and the notify order across topics (`seq` is the last appended event's). */
  readonly store: HistoryStore;
}

export type HistorySnapshot = ServiceSnapshot<HistoryContext>;

function expire(ctx: HistoryContext, logs: Iterable<TopicLog>): void {
  const { ttlMs, now } = ctx.input;
  if (ttlMs === 0) return;
  const cutoff = now() - ttlMs;
  for (const log of logs) log.expire(cutoff);
}

/** True when `id` is still in `topic`'s history (a second notify with it would break replay). */
export function isKnown(ctx: HistoryContext, topic: string, id: string): boolean {
  const log = ctx.store.logs.get(topic);
  if (!log || log.length === 0) return false;
  expire(ctx, [log]);
  return log.has(id);
}

/**
 * The frames notified after `lastEventId` on `topics`, in notify order across topics; or why they
 * cannot be told exactly (the id was never seen, or an event after it already left history).
 */
export function framesAfter(ctx: HistoryContext, topics: readonly string[], lastEventId: string): Frame[] | ResetReason {
  if (ctx.input.size === 0) return 'history-off';
  const logs = topics.map((topic) => ctx.store.logs.get(topic)).filter((log): log is TopicLog => log !== undefined);
  expire(ctx, logs);
  // The same id may stand on several of the stream's topics: start after the earliest, so
  // nothing is missed (ids unique across topics avoid the question). An id that already left
  // its log still tells where the client stopped.
  let after = Number.POSITIVE_INFINITY;
  for (const log of logs) {
    const seq = log.get(lastEventId)?.seq ?? log.lostSeq(lastEventId);
    if (seq !== undefined && seq < after) after = seq;
  }
  if (after === Number.POSITIVE_INFINITY) return 'unknown-id';
  // Replay only if no log lost an event the client has not seen (a busy topic can push out
  // events newer than a quiet topic's last id): a partial replay would be a silent gap.
  if (logs.some((log) => log.evictedUpTo > after)) return 'aged-out';
  const entries: LogEntry[] = logs.flatMap((log) => log.since(after));
  if (logs.length > 1) entries.sort((a, b) => a.seq - b.seq);
  return entries.map((entry) => entry.frame);
}

/** Events and encoded bytes currently kept, per topic (`snapshot().history`). */
export function historyStats(ctx: HistoryContext): Record<string, { events: number; bytes: number }> {
  expire(ctx, ctx.store.logs.values());
  return Object.fromEntries([...ctx.store.logs].map(([topic, log]) => [topic, { events: log.length, bytes: log.bytes }]));
}

/** History logic: appends are its only writes, numbered in notify order across topics. */
export const historyLogic: ActorLogic<HistorySnapshot, HistoryEvent, HistoryInput> = serviceLogic<HistoryContext, Exclude<HistoryEvent, ExitSignal>, HistoryInput>({
  init: (input) => ({ input, store: input.store }),
  handle(context, event) {
    const { store } = context;
    store.seq += 1;
    store.logs.get(event.topic)?.append({ seq: store.seq, frame: event.frame });
    return context;
  },
});
