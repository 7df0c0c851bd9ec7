import type { Frame } from '../protocol/frame.ts';
import type { Connection } from '../actors/connection.ts';
import type { RegistryContext } from '../actors/registry.ts';

/**
 * Hands `frame` to every connection subscribed to `topic`: by name, and by every pattern that
 * matches it (found by walking the patterns' trie with the name, so patterns that do not match
 * cost nothing). Without pattern subscriptions this is the one Set loop it always was. A connection
 * reached through its name and a pattern, or two patterns, gets the frame once.
 */
export function fanOut(registry: RegistryContext<Connection>, topic: string, frame: Frame): void {
  const named = registry.index.get(topic);
  if (registry.patterns.size === 0) {
    if (named) for (const connection of named) connection.enqueue(frame);
    return;
  }
  const sets: Array<ReadonlySet<Connection>> = named && named.size > 0 ? [named] : [];
  registry.patterns.match(topic, (subscribers) => void sets.push(subscribers));
  if (sets.length === 1) {
    for (const connection of sets[0] as ReadonlySet<Connection>) connection.enqueue(frame);
    return;
  }
  const seen = new Set<Connection>();
  for (const subscribers of sets) {
    for (const connection of subscribers) {
      if (seen.has(connection)) continue;
      seen.add(connection);
      connection.enqueue(frame);
    }
  }
}

/** How many connections get `topic`'s events (by name or pattern, each once). */
export function subscriberCount(registry: RegistryContext<Connection> | undefined, topic: string): number {
  if (!registry) return 0;
  const named = registry.index.get(topic);
  if (registry.patterns.size === 0) return named?.size ?? 0;
  const all = new Set<Connection>(named);
  registry.patterns.match(topic, (subscribers) => subscribers.forEach((c) => all.add(c)));
  return all.size;
}
