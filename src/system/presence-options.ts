import { InvalidOptionError } from './errors.ts';
import { isPattern, matchTopic } from '../protocol/topics.ts';
import type { PresenceOptions } from './options.ts';

/**
 * Presence defaults. `ttlMs` is 15 s: a few missed heartbeats (a shared store beats every
 * `ttlMs / 3`) before a node counts as dead, long enough that a GC pause or a slow Redis does not
 * make a live node's users leave, short enough that a dead node's users are gone within seconds.
 * `batchMs` is 50 ms: a browser's reconnect after a dropped connection (same page, HTTP keep-alive)
 * usually lands inside it, and a human does not notice 50 ms on a join.
 * @example
 * ```ts
 * createSystem({ topics: ['room.*'], presence: { topics: ['room.*'], ...DEFAULT_PRESENCE, batchMs: 200 } });
 * ```
 */
export const DEFAULT_PRESENCE = { events: false, ttlMs: 15_000, batchMs: 50 } as const;

/** Presence options after defaults. */
export interface ResolvedPresence {
  readonly topics: readonly string[];
  readonly events: boolean;
  readonly ttlMs: number;
  readonly batchMs: number;
}

const PATTERN = 'topic names or patterns whose segments are names, "*" or "**"';

const isMs = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** A pattern made concrete (each wildcard a segment), to ask whether a family covers it. */
const sample = (pattern: string): string => pattern.replace(/\*\*?/g, '\u0000');

/**
 * Checks and completes `presence`; each pattern must cover a registered topic or fall under a
 * family (`InvalidOptionError` otherwise: a typo would turn presence off without a word).
 */
export function resolvePresence(option: unknown, topics: readonly string[], families: readonly string[]): ResolvedPresence | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'object' || option === null) throw new InvalidOptionError('presence', option, 'an object { topics, events?, ttlMs?, batchMs? }');
  const { topics: patterns, events = DEFAULT_PRESENCE.events, ttlMs = DEFAULT_PRESENCE.ttlMs, batchMs = DEFAULT_PRESENCE.batchMs } = option as PresenceOptions;
  if (!Array.isArray(patterns) || patterns.length === 0) throw new InvalidOptionError('presence.topics', patterns, `a non-empty array of ${PATTERN}`);
  for (const pattern of patterns as unknown[]) {
    if (typeof pattern !== 'string' || pattern === '' || !pattern.split('.').every((seg) => seg === '*' || seg === '**' || (seg !== '' && !seg.includes('*')))) {
      throw new InvalidOptionError('presence.topics', pattern, PATTERN);
    }
    const covered = topics.some((topic) => matchTopic(pattern, topic)) || families.some((family) => family === pattern || matchTopic(family, isPattern(pattern) ? sample(pattern) : pattern));
    if (!covered) throw new InvalidOptionError('presence.topics', pattern, 'a pattern that matches a registered topic or falls under a family of `topics`');
  }
  if (typeof events !== 'boolean') throw new InvalidOptionError('presence.events', events, 'true or false');
  if (!isMs(ttlMs) || ttlMs < 1) throw new InvalidOptionError('presence.ttlMs', ttlMs, 'a positive integer of milliseconds');
  if (!isMs(batchMs)) throw new InvalidOptionError('presence.batchMs', batchMs, 'a non-negative integer of milliseconds (0 = apply at the next tick)');
  return { topics: [...new Set(patterns as string[])], events, ttlMs, batchMs };
}
