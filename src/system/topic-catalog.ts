import { checkTopicRequest, isPattern } from '../protocol/topics.ts';
import { UnknownTopicError } from './errors.ts';
import type { TopicTable } from './topic-table.ts';

/**
 * What requests resolve to. A name stands for itself (a live topic, or one its family creates when
 * the stream attaches); a pattern that reaches into a family is kept as a pattern (a live
 * subscription: it gets topics created later); any other pattern expands to the live names it
 * matches now. Resolved lists are shared: every stream that asks for the same topics holds the same
 * frozen array. The caches are bounded, as requests choose the keys.
 */
export class TopicCatalog {
  /** Resolved topics by the one name or pattern asked for, and by the JSON of a longer list. */
  private readonly one = new Map<string, readonly string[]>();
  private readonly list = new Map<string, readonly string[]>();

  constructor(
    private readonly table: TopicTable,
    private readonly limits: { readonly maxTopicsPerStream: number; readonly maxTopicLength: number },
  ) {}

  /** The topics (and live patterns) that `topics` stand for; throws `TopicLimitError` or `UnknownTopicError`. */
  resolve(topics: string | readonly string[]): readonly string[] {
    // Limits and types first, before any work (a request chooses what it asks for).
    checkTopicRequest(topics, this.limits);
    // One name (the usual case) is its own key: no string is built per request.
    const single = typeof topics === 'string' ? topics : topics.length === 1 ? topics[0] : undefined;
    const cache = single === undefined ? this.list : this.one;
    const key = single ?? JSON.stringify(topics);
    const cached = cache.get(key);
    if (cached) return cached;
    const asked = typeof topics === 'string' ? [topics] : topics;
    const frozen = Object.freeze(this.expand(asked));
    if (cache.size >= 1024) cache.clear();
    cache.set(key, frozen);
    return frozen;
  }

  private expand(asked: readonly string[]): string[] {
    const { table } = this;
    // Live names and patterns over names resolve as before families: in registration order.
    const now: string[] = [];
    // Names a family creates on attach, and patterns kept as live subscriptions: in the order asked.
    const later: string[] = [];
    for (const topic of asked) {
      if (isPattern(topic) ? !table.reachesFamily(topic) : table.has(topic) || table.familyList.length === 0) now.push(topic);
      else {
        if (!isPattern(topic)) table.check(topic); // a family's name, or a typed error
        if (!later.includes(topic)) later.push(topic);
      }
    }
    if (now.length === 0) return later;
    const { topics, unmatched } = table.index.resolve(now);
    if (unmatched.length > 0) throw new UnknownTopicError(unmatched, table.declared);
    return later.length === 0 ? topics : [...topics, ...later];
  }

  /** Forgets what was resolved (topics were registered or unregistered: expansions change). */
  clear(): void {
    this.one.clear();
    this.list.clear();
  }

  /** Forgets a reclaimed topic's own entry. */
  forget(topic: string): void {
    this.one.delete(topic);
  }
}
