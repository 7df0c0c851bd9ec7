import { describeValue } from './describe.ts';
import { TopicLimitError, UnknownTopicError } from './errors.ts';

/**
 * Topic patterns: `*` matches exactly one dot-separated segment, `**` matches the rest
 * (one or more segments). A pattern without wildcards matches only itself.
 */
export function isPattern(topic: string): boolean {
  return topic.includes('*');
}

/** True when `topic` matches `pattern` (see {@link isPattern}); `**` may stand anywhere in a pattern. */
export function matchTopic(pattern: string, topic: string): boolean {
  if (!isPattern(pattern)) return pattern === topic;
  return matchSegments(pattern.split('.'), 0, topic.split('.'), 0);
}

function matchSegments(p: readonly string[], i: number, t: readonly string[], j: number): boolean {
  if (i === p.length) return j === t.length;
  const seg = p[i];
  if (seg === '**') {
    // one or more segments, then the rest of the pattern
    for (let k = j + 1; k <= t.length; k++) if (matchSegments(p, i + 1, t, k)) return true;
    return false;
  }
  if (j === t.length) return false;
  return (seg === '*' || seg === t[j]) && matchSegments(p, i + 1, t, j + 1);
}

/**
 * True when every topic that `asked` can match is matched by `allowed` (names and patterns alike;
 * for a name this is `matchTopic`). Decided conservatively: each segment of `allowed` takes a
 * run of `asked`'s segments — a name takes that same name, `*` takes a name or `*`, `**` takes one or
 * more of anything — so `room.*` covers `room.*` and `room.a`, `**` covers everything, `a.**` covers
 * `a.*.b`, and `room.*` never covers `room.**` or `**`. A pattern that is covered only through
 * re-splitting `**` (`*.**` against `**.**`, which match the same topics) is reported as not covered:
 * a refusal, never a wrongful grant.
 * @example
 * ```ts
 * patternCovers('room.*', 'room.*'); // true
 * patternCovers('room.**', 'room.*.messages'); // true
 * patternCovers('room.*', 'room.**'); // false: room.a.b is not in room.*
 * ```
 */
export function patternCovers(allowed: string, asked: string): boolean {
  if (!isPattern(asked)) return matchTopic(allowed, asked);
  const a = allowed.split('.');
  const p = asked.split('.');
  const memo = new Map<number, boolean>();
  const covers = (i: number, j: number): boolean => {
    if (i === a.length) return j === p.length;
    const key = i * (p.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result = false;
    const seg = a[i] as string;
    if (seg === '**') {
      for (let k = j + 1; k <= p.length && !result; k++) result = covers(i + 1, k);
    } else if (j < p.length) {
      const got = p[j] as string;
      result = (seg === '*' ? got !== '**' : got === seg) && covers(i + 1, j + 1);
    }
    memo.set(key, result);
    return result;
  };
  return covers(0, 0);
}

/** One segment of the registered topics' trie: `order` is the registration rank of the topic that ends here (-1: none). */
interface TrieNode {
  readonly children: Map<string, TrieNode>;
  order: number;
  name: string;
}

const trieNode = (): TrieNode => ({ children: new Map(), order: -1, name: '' });

/** What resolving a request found, and the work it took (trie states visited: for tests of cost). */
export interface Resolution {
  topics: string[];
  unmatched: string[];
  steps: number;
}

/**
 * The registered topics indexed by segment, so that a pattern costs what it can match rather than
 * patterns × registered topics: a literal name is one map lookup, `a.*` walks the children of `a`,
 * and `**` visits each (trie node, pattern position) pair at most once. Topics may be added and
 * removed (runtime registration); a removed topic leaves no node behind.
 */
export class TopicIndex {
  private readonly root: TrieNode = trieNode();
  private readonly byName = new Map<string, TrieNode>();
  private next = 0;

  constructor(registered: readonly string[] = []) {
    for (const topic of registered) this.add(topic);
  }

  /** Topics indexed. */
  get size(): number {
    return this.byName.size;
  }

  has(topic: string): boolean {
    return this.byName.has(topic);
  }

  /** Indexes `topic` after every topic indexed so far (idempotent). */
  add(topic: string): void {
    if (this.byName.has(topic)) return;
    let node = this.root;
    for (const seg of topic.split('.')) {
      let next = node.children.get(seg);
      if (!next) node.children.set(seg, (next = trieNode()));
      node = next;
    }
    node.order = this.next++;
    node.name = topic;
    this.byName.set(topic, node);
  }

  /** Removes `topic` and the branch only it used. */
  remove(topic: string): void {
    if (!this.byName.delete(topic)) return;
    const path: TrieNode[] = [this.root];
    const segs = topic.split('.');
    for (const seg of segs) path.push((path[path.length - 1] as TrieNode).children.get(seg) as TrieNode);
    const leaf = path[path.length - 1] as TrieNode;
    leaf.order = -1;
    leaf.name = '';
    for (let n = segs.length; n > 0; n--) {
      const child = path[n] as TrieNode;
      if (child.order !== -1 || child.children.size > 0) break;
      (path[n - 1] as TrieNode).children.delete(segs[n - 1] as string);
    }
  }

  /** Expands names and patterns, in registration order without duplicates; `unmatched` lists what matched nothing. */
  resolve(patterns: readonly string[]): Resolution {
    const found = new Set<TrieNode>();
    const unmatched: string[] = [];
    let steps = 0;
    for (const pattern of patterns) {
      let hit = false;
      if (!isPattern(pattern)) {
        steps += 1;
        const node = this.byName.get(pattern);
        if (node !== undefined) {
          found.add(node);
          hit = true;
        }
      } else {
        const walk = new PatternWalk(pattern.split('.'), found);
        walk.match(this.root, 0);
        steps += walk.steps;
        hit = walk.hit;
      }
      if (!hit) unmatched.push(pattern);
    }
    const order = [...found].sort((a, b) => a.order - b.order);
    return { topics: order.map((node) => node.name), unmatched, steps };
  }
}

/** One pattern's walk over the trie, memoized by (node, position, inside-`**`). */
class PatternWalk {
  steps = 0;
  hit = false;
  private readonly seen = new Map<TrieNode, Set<number>>();

  constructor(
    private readonly p: readonly string[],
    private readonly found: Set<TrieNode>,
  ) {}

  /** Matches `p[i..]` at `node`; `more` means "inside `p[i]` = `**`, which has consumed a segment already". */
  match(node: TrieNode, i: number, more = false): void {
    const key = more ? -1 - i : i;
    let seen = this.seen.get(node);
    if (!seen) this.seen.set(node, (seen = new Set()));
    if (seen.has(key)) return;
    seen.add(key);
    this.steps += 1;
    const { p } = this;
    if (more) {
      // `**` may stop here (the rest of the pattern from here) or take one more segment.
      this.match(node, i + 1);
      for (const child of node.children.values()) this.match(child, i, true);
      return;
    }
    if (i === p.length) {
      if (node.order !== -1) {
        this.found.add(node);
        this.hit = true;
      }
      return;
    }
    const seg = p[i] as string;
    if (seg === '**') {
      for (const child of node.children.values()) this.match(child, i, true);
    } else if (seg === '*') {
      for (const child of node.children.values()) this.match(child, i + 1);
    } else {
      const child = node.children.get(seg);
      if (child) this.match(child, i + 1);
    }
  }
}

const indexes = new WeakMap<readonly string[], TopicIndex>();

/** The index of a registered topic list, built once per list (a system's `topics` array never changes). */
export function topicIndex(registered: readonly string[]): TopicIndex {
  let index = indexes.get(registered);
  if (!index) indexes.set(registered, (index = new TopicIndex(registered)));
  return index;
}

/**
 * Expands patterns against the registered topics, keeping registration order and dropping
 * duplicates. Returns the patterns that matched nothing in `unmatched`.
 */
export function resolveTopics(patterns: readonly string[], registered: readonly string[]): { topics: string[]; unmatched: string[] } {
  const { topics, unmatched } = topicIndex(registered).resolve(patterns);
  return { topics, unmatched };
}

/** The bounds of what one stream may ask for (`createSystem({ maxTopicsPerStream, maxTopicLength })`). */
export interface TopicLimits {
  readonly maxTopicsPerStream: number;
  readonly maxTopicLength: number;
}

/**
 * Checks what a client asked for before any resolution work: a string or an array of strings,
 * at most `maxTopicsPerStream` of them, each at most `maxTopicLength` characters. Allocates
 * nothing for a valid request. Throws {@link UnknownTopicError} for a non-string and
 * {@link TopicLimitError} beyond a limit.
 */
export function checkTopicRequest(topics: unknown, limits: TopicLimits): asserts topics is string | readonly string[] {
  if (typeof topics === 'string') return checkLength(topics, limits);
  if (!Array.isArray(topics)) throw notAString(topics);
  if (topics.length > limits.maxTopicsPerStream) {
    throw new TopicLimitError(`${topics.length} topics asked for, at most ${limits.maxTopicsPerStream} per stream`, 'maxTopicsPerStream');
  }
  if (topics.length === 0) throw new UnknownTopicError([], [], 'No SSE topic asked for: a stream needs at least one topic');
  for (const topic of topics as unknown[]) {
    if (typeof topic !== 'string') throw notAString(topic);
    checkLength(topic, limits);
  }
}

function checkLength(topic: string, limits: TopicLimits): void {
  if (topic.length > limits.maxTopicLength) {
    throw new TopicLimitError(`a topic of ${topic.length} characters asked for, at most ${limits.maxTopicLength}`, 'maxTopicLength');
  }
}

function notAString(value: unknown): UnknownTopicError {
  return new UnknownTopicError([describeValue(value, 'noun')], [], `Invalid SSE topic ${describeValue(value, 'noun')}: a topic must be a string`);
}

