import { PatternTrie, patternsOverlap } from '../protocol/pattern-trie.ts';
import type { Transport } from '../transport/types.ts';

/** What the family watch does to the topics of its system. */
export interface FamilyWatchHost {
  /** Makes `topic` live here, as a notify would; false when it cannot (`maxTopics`). */
  create(topic: string): boolean;
  /** The live names (not fixed ones) that `pattern` matches now. */
  matching(pattern: string): readonly string[];
  /** Follows `topic`; `live`: its fetched history is fanned out (it is newer than the announcement). */
  follow(topic: string, live: boolean): void;
  /** `topic` is no longer held for a pattern: idle unless it has subscribers by name. */
  release(topic: string): void;
}

/**
 * Pattern subscriptions over topic families, for a transport that reads selectively (`follow`,
 * `watch`: Redis). While a pattern that reaches a family has a local subscriber, this node watches
 * the family's new names (the transport's `watch`) and holds every matching name it knows: one it
 * creates itself (a notify, a stream) and one another node's publish announces. A held name is
 * followed (history fetched, live events buffered, as for a first subscriber) and is not reclaimed;
 * its events reach the pattern subscribers by the usual fan-out. The last pattern subscriber of a
 * family gone, the family is unwatched and its names released (idle: unfollowed, then reclaimed).
 * Without `watch` (memory, node:cluster: every topic is delivered) this does nothing.
 * @example
 * ```ts
 * // Wired by Topics: the registry reports patterns, the table and the mirror do the rest.
 * const watch = new FamilyWatch(transport, ['room.*'], host);
 * watch.pattern('room.*', true); // watches room.*'s names, holds the live room.N
 * ```
 */
export class FamilyWatch {
  /** Live local subscription patterns that reach a family. */
  private readonly patterns = new PatternTrie<string>();
  private readonly live = new Set<string>();
  /** Families whose names this node reads, and when that started. */
  private readonly watched = new Map<string, Promise<void>>();
  /** Names followed for the patterns. */
  private readonly held = new Set<string>();

  constructor(
    private readonly transport: Transport,
    private readonly families: readonly string[],
    private readonly host: FamilyWatchHost,
  ) {}

  private reached(pattern: string): string[] {
    return this.transport.watch ? this.families.filter((family) => patternsOverlap(pattern, family)) : [];
  }

  /**
   * A stream subscribes to `topics`: resolves once every family its patterns reach is watched, so
   * that a name announced after it attached is heard (undefined when there is nothing to wait for).
   */
  ready(pattern: string): Promise<void> | undefined {
    const waits = this.reached(pattern).map((family) => this.start(family));
    return waits.length === 0 ? undefined : waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  /** The registry: `pattern` got its first local subscriber (`live`) or lost its last. */
  pattern(pattern: string, live: boolean): void {
    const families = this.reached(pattern);
    if (families.length === 0) return;
    if (live) {
      if (this.live.has(pattern)) return;
      this.live.add(pattern);
      this.patterns.add(pattern, pattern);
      for (const family of families) void this.start(family).catch(() => undefined);
      for (const topic of this.host.matching(pattern)) this.hold(topic, false);
      return;
    }
    if (!this.live.delete(pattern)) return;
    this.patterns.delete(pattern, pattern);
    for (const family of families) {
      if ([...this.live].some((other) => patternsOverlap(other, family))) continue;
      this.watched.delete(family);
      this.transport.unwatch?.(family);
    }
    for (const topic of [...this.held]) {
      if (this.patterns.first(topic) !== undefined) continue;
      this.held.delete(topic);
      this.host.release(topic);
    }
  }

  /** A restarted registry holds exactly `present`: a pattern missing from it lost its subscribers with the old registry. */
  rebuilt(present: readonly string[]): void {
    for (const pattern of [...this.live]) if (!present.includes(pattern)) this.pattern(pattern, false);
    for (const pattern of present) this.pattern(pattern, true);
  }

  private start(family: string): Promise<void> {
    const known = this.watched.get(family);
    if (known) return known;
    const watch = this.transport.watch as NonNullable<Transport['watch']>;
    const started: Promise<void> = watch.call(this.transport, family, (topic) => this.announced(topic)).catch((error: unknown) => {
      if (this.watched.get(family) === started) this.watched.delete(family); // the next pattern subscriber tries again
      throw error;
    });
    this.watched.set(family, started);
    return started;
  }

  /** Another node's (or this node's) publish created `topic`: everything fetched of it is newer than the announcement. */
  private announced(topic: string): void {
    if (this.patterns.first(topic) !== undefined) this.hold(topic, true);
  }

  /** `topic` became live here (a notify, a stream, a delivery): held when a local pattern matches it. */
  created(topic: string): void {
    if (this.live.size > 0 && this.patterns.first(topic) !== undefined) this.hold(topic, false);
  }

  private hold(topic: string, live: boolean): void {
    if (this.held.has(topic)) return;
    this.held.add(topic); // first: creating it comes back through created()
    if (!this.host.create(topic)) {
      this.held.delete(topic);
      return;
    }
    this.host.follow(topic, live);
  }

  /** True while `topic` is followed for a pattern (it is not idle, whatever its subscribers by name). */
  holds(topic: string): boolean {
    return this.held.size > 0 && this.held.has(topic);
  }

  /** `topic` was dropped (unregistered, or its follow failed): no longer held. */
  forget(topic: string): void {
    this.held.delete(topic);
  }
}
