import { checkTopicRequest, topicIndex } from '../protocol/topics.ts';
import { UnknownTopicError } from './errors.ts';

/**
 * The registered topics and what requests resolve to. Resolved lists are shared: every stream that
 * asks for the same topics holds the same frozen array (one allocation per distinct request, not per
 * connection). The caches are bounded, as requests choose the keys.
 */
export class TopicCatalog {
  /** Resolved topics by the one name or pattern asked for, and by the JSON of a longer list. */
  private readonly one = new Map<string, readonly string[]>();
  private readonly list = new Map<string, readonly string[]>();

  constructor(
    readonly topics: readonly string[],
    private readonly limits: { readonly maxTopicsPerStream: number; readonly maxTopicLength: number },
  ) {}

  /** The registered topics that `topics` (names or patterns) stand for; throws `TopicLimitError` or `UnknownTopicError`. */
  resolve(topics: string | readonly string[]): readonly string[] {
    // Limits and types first, before any work (a request chooses what it asks for).
    checkTopicRequest(topics, this.limits);
    // One name (the usual case) is its own key: no string is built per request.
    const single = typeof topics === 'string' ? topics : topics.length === 1 ? topics[0] : undefined;
    const cache = single === undefined ? this.list : this.one;
    const key = single ?? JSON.stringify(topics);
    const cached = cache.get(key);
    if (cached) return cached;
    const patterns = typeof topics === 'string' ? [topics] : topics;
    const { topics: resolved, unmatched } = topicIndex(this.topics).resolve(patterns);
    if (unmatched.length > 0 || resolved.length === 0) throw new UnknownTopicError(unmatched.length ? unmatched : [...patterns], this.topics);
    if (cache.size >= 1024) cache.clear();
    const frozen = Object.freeze(resolved);
    cache.set(key, frozen);
    return frozen;
  }
}
