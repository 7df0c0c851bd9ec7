import { backoffMs, type Conn } from './redis-connect.ts';
import { compareStreamIds, entryFields, streamKey, topicOfKey, type RawEntry } from './redis-keys.ts';
import type { TransportMessage } from './types.ts';

/** A stream entry read from Redis, with its stream id (the topic's one order). */
export interface ReadEntry {
  readonly sid: string;
  readonly message: TransportMessage;
}

export interface ReaderOptions {
  readonly conn: Conn;
  readonly prefix: string;
  /** Topics read together by one blocking XREAD (on a Cluster: topics of one slot). */
  readonly topics: readonly string[];
  /** Where each topic's reading stopped: shared with the transport, advanced after every batch. */
  readonly lastIds: Map<string, string>;
  readonly blockMs: number;
  readonly count: number;
  readonly reconnect: { minMs: number; maxMs: number };
  /** One read's entries, in stream-id order (each topic's order kept). */
  deliver(batch: readonly ReadEntry[]): void;
  /** A read worked (`error` undefined) or failed. */
  report(error?: unknown): void;
}

/** The entries of an XREAD / XRANGE reply, or an empty list for a nil reply. */
export function entriesOf(prefix: string, key: string, raw: unknown): ReadEntry[] {
  const topic = topicOfKey(prefix, key);
  if (topic === undefined || !Array.isArray(raw)) return [];
  const out: ReadEntry[] = [];
  for (const [sid, fields] of raw as RawEntry[]) {
    const parsed = entryFields(fields);
    if (parsed) out.push({ sid, message: { topic, ...parsed } });
  }
  return out;
}

/**
 * One blocking reader loop on its own connection: `XREAD BLOCK` from each topic's last id, so a
 * read that failed (Redis restarting, a network cut) is retried with backoff from exactly where
 * it stopped, and nothing Redis still holds is skipped.
 */
/** Non-blocking reads after a blocking one, at most, before delivering (see `drain`). */
const DRAIN_READS = 8;

export class StreamReader {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  readonly done: Promise<void>;

  constructor(private readonly options: ReaderOptions) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    const { conn, prefix, topics, lastIds, blockMs, count } = this.options;
    const keys = topics.map((topic) => streamKey(prefix, topic));
    let failures = 0;
    while (!this.stopped) {
      let reply: unknown;
      try {
        const ids = topics.map((topic) => lastIds.get(topic) ?? '0-0');
        reply = await conn.send(keys[0] as string, ['XREAD', 'COUNT', String(count), 'BLOCK', String(blockMs), 'STREAMS', ...keys, ...ids]);
      } catch (error) {
        if (this.stopped) return;
        this.options.report(error);
        await this.pause(backoffMs(failures, this.options.reconnect));
        failures += 1;
        continue;
      }
      failures = 0;
      if (this.stopped) return;
      this.options.report();
      const batch = this.batchOf(reply);
      if (batch.length > 0) this.options.deliver(await this.drain(batch, keys));
    }
  }

  /**
   * What Redis already holds after a blocking read, read without blocking and delivered with it:
   * a burst then reaches the system in one delivery, so each connection gets one coalesced write
   * for it instead of one per read (a blocking read returns as soon as the first event is in).
   * Bounded; a failed read here is left to the next blocking read, which starts from the last id.
   */
  private async drain(batch: ReadEntry[], keys: readonly string[]): Promise<ReadEntry[]> {
    const { conn, topics, lastIds, count } = this.options;
    for (let reads = 0; reads < DRAIN_READS && !this.stopped; reads++) {
      let more: ReadEntry[];
      try {
        const ids = topics.map((topic) => lastIds.get(topic) ?? '0-0');
        more = this.batchOf(await conn.send(keys[0] as string, ['XREAD', 'COUNT', String(count), 'STREAMS', ...keys, ...ids]));
      } catch {
        break;
      }
      if (more.length === 0) break;
      for (const entry of more) batch.push(entry);
    }
    return batch;
  }

  /**
   * One read's entries across its topics, sorted by stream id (Redis time, ms, then sequence;
   * ties by topic order), so a node delivers a multi-topic read in the order Redis took the events.
   */
  private batchOf(reply: unknown): ReadEntry[] {
    if (!Array.isArray(reply)) return [];
    const { prefix, topics, lastIds } = this.options;
    const batch: Array<ReadEntry & { rank: number }> = [];
    for (const item of reply as Array<[string, unknown]>) {
      const entries = entriesOf(prefix, item[0], item[1]);
      const last = entries[entries.length - 1];
      if (!last) continue;
      lastIds.set(last.message.topic, last.sid);
      const rank = topics.indexOf(last.message.topic);
      for (const entry of entries) batch.push({ ...entry, rank });
    }
    if (reply.length > 1) batch.sort((a, b) => compareStreamIds(a.sid, b.sid) || a.rank - b.rank);
    return batch;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  /** Stops after the current read (the caller destroys the connection to end a blocked one). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
  }
}
