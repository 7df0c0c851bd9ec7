import { PatternTrie } from '../protocol/pattern-trie.ts';
import { TransportError } from './errors.ts';
import type { Conn } from './redis-connect.ts';
import { NAMES_MAXLEN, namesKey } from './redis-keys.ts';
import type { ReadEntry } from './redis-reader.ts';
import type { TransportMessage } from './types.ts';

/**
 * A family's new names, over Redis: a publish whose script created the topic's stream announces the
 * name with one XADD to the family's names stream (`namesKey`, a slot of its own: a second command,
 * sent only then); a node with a pattern subscriber over the family reads that stream in its
 * blocking XREAD, as one more key of the slot's reader, and hears each name once.
 * @example
 * ```ts
 * const names = new FamilyNames('sse-actors:', ['room.*']);
 * names.familyOf('room.9'); // 'room.*'
 * names.isNames('room.*'); // true: a names stream, read as a topic
 * ```
 */
export class FamilyNames {
  private readonly families = new PatternTrie<string>();
  private readonly watchers = new Map<string, (topic: string) => void>();
  /** Names announced by this node (each is a second command of a publish). */
  announced = 0;

  constructor(
    private readonly prefix: string,
    families: readonly string[],
  ) {
    for (const family of families) this.families.add(family, family);
  }

  /** The family `topic` belongs to, or undefined (a fixed or registered name). */
  familyOf(topic: string): string | undefined {
    return this.families.size === 0 ? undefined : this.families.first(topic);
  }

  /** True for a names stream's pseudo-topic (a family pattern: no topic's name has a `*`). */
  isNames(topic: string): boolean {
    return topic.includes('*');
  }

  /**
   * After a publish that created `message`'s stream: one XADD to its family's names stream. A failure
   * is not the publish's (the event is in Redis): it is returned, for the transport to report.
   */
  async announce(conn: Conn, message: TransportMessage): Promise<unknown> {
    const family = this.familyOf(message.topic);
    if (family === undefined) return undefined;
    const key = namesKey(this.prefix, family);
    try {
      await conn.send(key, ['XADD', key, 'MAXLEN', '~', String(NAMES_MAXLEN), '*', 'i', message.id, 't', message.topic, 'p', String(message.publishedAt)]);
      this.announced += 1;
      return undefined;
    } catch (error) {
      return error;
    }
  }

  /**
   * Where reading `family`'s names starts: after the newest entry now (one XREVRANGE); `announced`
   * hears the rest. Undefined when `unwatch` came meanwhile (nothing to read).
   */
  async watch(conn: Conn, family: string, announced: (topic: string) => void): Promise<string | undefined> {
    if (this.familyOf(family) !== family) throw new TransportError('redis', `"${family}" is not a topic family of this system`);
    const key = namesKey(this.prefix, family);
    this.watchers.set(family, announced);
    let newest: unknown;
    try {
      newest = await conn.send(key, ['XREVRANGE', key, '+', '-', 'COUNT', '1']);
    } catch (error) {
      if (this.watchers.get(family) === announced) this.watchers.delete(family);
      throw new TransportError('redis', `could not read the names of "${family}": ${error instanceof Error ? error.message : String(error)}`, error);
    }
    if (this.watchers.get(family) !== announced) return undefined;
    const first = Array.isArray(newest) ? (newest[0] as [string, unknown] | undefined) : undefined;
    return first?.[0] ?? '0-0';
  }

  watched(family: string): boolean {
    return this.watchers.has(family);
  }

  unwatch(family: string): boolean {
    return this.watchers.delete(family);
  }

  /** Names watched now. */
  get watching(): number {
    return this.watchers.size;
  }

  /** Takes the names entries out of a read's batch (each to its watcher); returns the events. */
  route(batch: readonly ReadEntry[]): readonly ReadEntry[] {
    if (this.watchers.size === 0) return batch;
    const events: ReadEntry[] = [];
    for (const entry of batch) {
      const { topic, text } = entry.message;
      if (!this.isNames(topic)) events.push(entry);
      else this.watchers.get(topic)?.(text);
    }
    return events;
  }
}
