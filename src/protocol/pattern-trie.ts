/**
 * Patterns indexed by segment, walked with a concrete topic: the reverse of `TopicIndex` (topics
 * indexed, walked with a pattern). A topic visits only the branches that can match it — its own
 * segment, `*` and `**` at each level — so patterns that do not match cost nothing.
 */
interface PatternNode<V> {
  readonly children: Map<string, PatternNode<V>>;
  /** The values of the pattern that ends here. */
  values: Set<V> | undefined;
  /** The pattern that ends here (kept to report matches by name). */
  pattern: string | undefined;
}

const node = <V>(): PatternNode<V> => ({ children: new Map(), values: undefined, pattern: undefined });

export class PatternTrie<V> {
  private readonly root: PatternNode<V> = node();
  /** Patterns with at least one value. */
  size = 0;

  /** Adds `value` under `pattern`; returns true when the pattern was new. */
  add(pattern: string, value: V): boolean {
    let at = this.root;
    for (const seg of pattern.split('.')) {
      let next = at.children.get(seg);
      if (!next) at.children.set(seg, (next = node()));
      at = next;
    }
    const fresh = at.values === undefined;
    if (fresh) {
      at.values = new Set();
      at.pattern = pattern;
      this.size += 1;
    }
    at.values?.add(value);
    return fresh;
  }

  /** Removes `value` from `pattern`; the pattern (and its empty branch) goes with its last value (then true). */
  delete(pattern: string, value: V): boolean {
    const path: Array<[PatternNode<V>, string]> = [];
    let at = this.root;
    for (const seg of pattern.split('.')) {
      const next = at.children.get(seg);
      if (!next) return false;
      path.push([at, seg]);
      at = next;
    }
    if (!at.values?.delete(value) || at.values.size > 0) return false;
    at.values = undefined;
    at.pattern = undefined;
    this.size -= 1;
    for (let n = path.length - 1; n >= 0; n--) {
      const [parent, seg] = path[n] as [PatternNode<V>, string];
      const child = parent.children.get(seg) as PatternNode<V>;
      if (child.values !== undefined || child.children.size > 0) break;
      parent.children.delete(seg);
    }
    return true;
  }

  /** Calls `visit` with the values and name of every pattern that matches `topic`, each once. */
  match(topic: string, visit: (values: ReadonlySet<V>, pattern: string) => void): void {
    if (this.size === 0) return;
    const segs = topic.split('.');
    const seen = new Set<PatternNode<V>>();
    const walk = (at: PatternNode<V>, j: number): void => {
      if (j === segs.length) {
        if (at.values && !seen.has(at)) {
          seen.add(at);
          visit(at.values, at.pattern as string);
        }
        return;
      }
      const literal = at.children.get(segs[j] as string);
      if (literal) walk(literal, j + 1);
      const one = at.children.get('*');
      if (one) walk(one, j + 1);
      const rest = at.children.get('**');
      // `**` takes one or more segments: try every split (a topic has few segments).
      if (rest) for (let k = j + 1; k <= segs.length; k++) walk(rest, k);
    };
    walk(this.root, 0);
  }

  /** The first pattern (any) matching `topic`, or undefined. */
  first(topic: string): string | undefined {
    let found: string | undefined;
    this.match(topic, (_, pattern) => (found ??= pattern));
    return found;
  }
}

/**
 * True when some topic matches both patterns (`*` one segment, `**` one or more): whether a
 * subscription pattern can reach into a topic family.
 */
export function patternsOverlap(a: string, b: string): boolean {
  const p = a.split('.');
  const q = b.split('.');
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (q.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    memo.set(key, false);
    let result: boolean;
    if (i === p.length || j === q.length) result = i === p.length && j === q.length;
    else {
      const x = p[i] as string;
      const y = q[j] as string;
      if (x === '**' && y === '**') result = go(i + 1, j + 1) || go(i, j + 1) || go(i + 1, j);
      else if (x === '**') result = go(i + 1, j + 1) || go(i, j + 1);
      else if (y === '**') result = go(i + 1, j + 1) || go(i + 1, j);
      else result = (x === '*' || y === '*' || x === y) && go(i + 1, j + 1);
    }
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}
