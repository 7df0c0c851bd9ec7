/**
 * Topic patterns: `*` matches exactly one dot-separated segment, `**` matches the rest
 * (one or more segments). A pattern without wildcards matches only itself.
 */
export function isPattern(topic: string): boolean {
  return topic.includes('*');
}

/** True when `topic` matches `pattern` (see {@link isPattern}). */
export function matchTopic(pattern: string, topic: string): boolean {
  if (!isPattern(pattern)) return pattern === topic;
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    const seg = p[i];
    if (seg === '**') return t.length > i;
    if (i >= t.length) return false;
    if (seg !== '*' && seg !== t[i]) return false;
  }
  return p.length === t.length;
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
