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
 * Expands patterns against the registered topics, keeping registration order and dropping
 * duplicates. Returns the patterns that matched nothing in `unmatched`.
 */
export function resolveTopics(
  patterns: readonly string[],
  registered: readonly string[],
): { topics: string[]; unmatched: string[] } {
  const selected = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    let any = false;
    for (const topic of registered) {
      if (matchTopic(pattern, topic)) {
        selected.add(topic);
        any = true;
      }
    }
    if (!any) unmatched.push(pattern);
  }
  return { topics: registered.filter((t) => selected.has(t)), unmatched };
}
