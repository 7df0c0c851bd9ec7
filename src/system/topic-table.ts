import { isPattern, TopicIndex } from '../protocol/topics.ts';
import { PatternTrie, patternsOverlap } from '../protocol/pattern-trie.ts';
import { TopicLimitError, UnknownTopicError } from '../protocol/errors.ts';
import { TooManyTopicsError } from './errors.ts';

/**
 * How a live topic came to be: listed in `createSystem({ topics })`, added by `registerTopic`, or
 * created from a family on first use (only those are reclaimed when idle).
 */
export type TopicKind = 'fixed' | 'registered' | 'created';

// A name a client or a notify may create: segments of printable characters, none empty, no `*`.
/** What `missing` answers when every name is live (shared: it is never written). */
const NONE: readonly string[] = Object.freeze([]);

const hasControl = (topic: string): boolean => {
  for (let n = 0; n < topic.length; n++) {
    const code = topic.charCodeAt(n);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
};

/**
 * The live topics of one system and its families: which names exist now, which may be created,
 * and the bound on how many live at once. The one writer of the live set; the system asks it.
 */
export class TopicTable {
  private readonly kinds = new Map<string, TopicKind>();
  /** Created topics → their family pattern. */
  private readonly familyOf = new Map<string, string>();
  private readonly families = new PatternTrie<string>();
  /** Live topics by name, for patterns to expand over. */
  readonly index = new TopicIndex();
  /** Live created topics per family. */
  readonly byFamily: Map<string, number>;

  constructor(
    /** What was declared (names and patterns), for error messages' logs. */
    readonly declared: readonly string[],
    fixed: readonly string[],
    readonly familyList: readonly string[],
    readonly max: number,
    private readonly maxLength: number,
  ) {
    for (const family of familyList) this.families.add(family, family);
    this.byFamily = new Map(familyList.map((family) => [family, 0]));
    for (const topic of fixed) this.add(topic, 'fixed');
  }

  /** Live topics. */
  get size(): number {
    return this.kinds.size;
  }

  has(topic: string): boolean {
    return this.kinds.has(topic);
  }

  kind(topic: string): TopicKind | undefined {
    return this.kinds.get(topic);
  }

  /** The family a created topic belongs to. */
  family(topic: string): string | undefined {
    return this.familyOf.get(topic);
  }

  /** True when `pattern` can match a topic of some family (a subscription to it is live, not expanded). */
  reachesFamily(pattern: string): boolean {
    return this.familyList.some((family) => patternsOverlap(pattern, family));
  }

  /**
   * Checks that `topic` names a live topic or one a family may create; throws `UnknownTopicError`
   * (not a family's, or not a valid name) or `TopicLimitError` (too long).
   */
  check(topic: string): void {
    if (this.kinds.has(topic)) return;
    if (topic.length > this.maxLength) throw new TopicLimitError(`a topic of ${topic.length} characters asked for, at most ${this.maxLength}`, 'maxTopicLength');
    if (isPattern(topic) || this.families.first(topic) === undefined) throw new UnknownTopicError([topic], this.declared);
    this.checkName(topic);
  }

  /** Throws `UnknownTopicError` for what cannot be a topic's name, `TopicLimitError` past `maxTopicLength`. */
  checkName(topic: unknown): asserts topic is string {
    if (typeof topic !== 'string' || topic === '' || isPattern(topic) || hasControl(topic) || topic.split('.').includes('')) {
      const what = typeof topic === 'string' ? JSON.stringify(topic) : typeof topic;
      throw new UnknownTopicError([String(topic)], this.declared, `Invalid SSE topic ${what}: a name has non-empty dot-separated segments, no "*" and no control character`);
    }
    if (topic.length > this.maxLength) throw new TopicLimitError(`a topic of ${topic.length} characters asked for, at most ${this.maxLength}`, 'maxTopicLength');
  }

  /** The names among `topics` that are not live (patterns left out), each once. */
  missing(topics: readonly string[]): readonly string[] {
    let out: string[] | undefined;
    // Indexed, and no array unless a name is missing: this runs twice per admission.
    for (let i = 0; i < topics.length; i++) {
      const topic = topics[i] as string;
      if (!isPattern(topic) && !this.kinds.has(topic) && !out?.includes(topic)) (out ??= []).push(topic);
    }
    return out ?? NONE;
  }

  /**
   * Makes the names among `topics` that are not live yet (checked already) live: all of them, or
   * none and `TooManyTopicsError` past `max`. Returns those it made.
   */
  create(topics: readonly string[], kind: TopicKind = 'created'): readonly string[] {
    const fresh = this.missing(topics);
    if (fresh.length === 0) return fresh;
    if (this.kinds.size + fresh.length > this.max) throw new TooManyTopicsError(this.max, fresh);
    for (const topic of fresh) this.add(topic, kind);
    return fresh;
  }

  /** A created topic becomes registered (kept until unregistered). */
  promote(topic: string): void {
    if (this.kinds.get(topic) === 'created') this.kinds.set(topic, 'registered');
  }

  private add(topic: string, kind: TopicKind): void {
    this.kinds.set(topic, kind);
    this.index.add(topic);
    if (kind !== 'created') return;
    const family = this.families.first(topic) as string;
    this.familyOf.set(topic, family);
    this.byFamily.set(family, (this.byFamily.get(family) ?? 0) + 1);
  }

  /** Removes a live topic (reclaimed or unregistered); nothing of it stays here. */
  remove(topic: string): void {
    if (!this.kinds.delete(topic)) return;
    this.index.remove(topic);
    const family = this.familyOf.get(topic);
    if (family === undefined) return;
    this.familyOf.delete(topic);
    this.byFamily.set(family, (this.byFamily.get(family) as number) - 1);
  }
}
