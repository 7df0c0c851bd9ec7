import type { ActorLogic } from 'xstate';
import { TopicLog, type LogEntry } from '../runtime/topic-log.ts';
import { HistoryBudget } from '../runtime/history-budget.ts';
import type { Frame } from '../protocol/frame.ts';
import type { ResetReason } from '../protocol/control.ts';
import type { ExitSignal } from './signals.ts';
import { serviceLogic, type ServiceSnapshot } from './service.ts';

/**
 * The history actor owns one bounded replay log per topic and is the only one that adds to them
 * or drops them (`history.append`, `history.drop`). Replay on connect reads the logs directly, in
 * the same synchronous step that subscribes the connection, so no event can fall between replay
 * and live delivery. The readers (`isKnown`, `framesAfter`, `emptyAt`, `historyStats`) also
 * remove entries that are past `ttlMs` as they read: an expired entry is one no reader may see,
 * so removing it early changes nothing any reader or the actor could observe.
 */

export const APPEND = 'history.append';
/** A topic was reclaimed or unregistered: its log goes. */
export const DROP = 'history.drop';

export type HistoryEvent = { type: typeof APPEND; topic: string; frame: Frame } | { type: typeof DROP; topic: string } | ExitSignal;

/**
 * The logs and the notify counter. They belong to the history's child spec, not to the actor,
 * so a restarted history actor takes them over (as an ETS table with an heir): a crash loses no
 * event.
 */
export interface HistoryStore {
  readonly logs: Map<string, TopicLog>;
  seq: number;
  /** Makes the log of a topic created at runtime (on its first event). */
  readonly open: (topic: string) => TopicLog | undefined;
  /** The bound on all logs together. */
  readonly budget: HistoryBudget;
}

/**
 * `maxBytes` bounds each topic's log in encoded bytes (see {@link TopicLog}), `maxTotalBytes` all of
 * them together. The fixed topics' logs exist from the start; others are made on their first event.
 */
export function createHistoryStore(topics: readonly string[], size: number, maxBytes = Number.POSITIVE_INFINITY, maxTotalBytes = Number.POSITIVE_INFINITY): HistoryStore {
  const budget = new HistoryBudget(maxTotalBytes);
  const logs = new Map(topics.map((topic) => [topic, new TopicLog(size, maxBytes, budget)]));
  const open = (topic: string): TopicLog | undefined => {
    if (size === 0) return undefined;
    const log = new TopicLog(size, maxBytes, budget);
    logs.set(topic, log);
    return log;
  };
  return { logs, seq: 0, open, budget };
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

/**
 * When `topic`'s history will be empty: now (`0`: nothing kept, or all expired), at a time on the
 * clock (its newest event expires then), or never (`Infinity`: kept until pushed out, `ttlMs: 0`).
 */
export function emptyAt(ctx: HistoryContext, topic: string): number {
  const log = ctx.store.logs.get(topic);
  if (!log || log.length === 0) return 0;
  expire(ctx, [log]);
  const newest = log.newestAt;
  if (newest === undefined) return 0;
  return ctx.input.ttlMs === 0 ? Number.POSITIVE_INFINITY : newest + ctx.input.ttlMs + 1;
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
    if (event.type === DROP) {
      store.logs.get(event.topic)?.clear();
      store.logs.delete(event.topic);
      return context;
    }
    store.seq += 1;
    (store.logs.get(event.topic) ?? store.open(event.topic))?.append({ seq: store.seq, frame: event.frame });
    return context;
  },
});
