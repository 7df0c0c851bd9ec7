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
  /** Topics read together by one blocking XREAD (on a Cluster: topics of one slot); more come and go with `add` / `remove`. */
  readonly topics: readonly string[];
  /** A key of the reader's slot: routes its `CLIENT ID` on a Cluster. */
  readonly routeKey: string;
  /** Sends `CLIENT UNBLOCK id` on another connection to the reader's server; resolves with Redis's answer (1: it was blocked). */
  readonly unblock: (routeKey: string, clientId: string) => Promise<unknown>;
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
  /** The topics read now, and their keys (rebuilt when they change). */
  private topics: string[];
  private keys: string[];
  /** Bumped on every change of `topics`; `reading` is the generation of the read in flight (-1: none). */
  private generation = 0;
  private reading = -1;
  private clientId: string | undefined;
  private interrupting = false;
  readonly done: Promise<void>;

  constructor(private readonly options: ReaderOptions) {
    this.topics = [...options.topics];
    this.keys = this.topics.map((topic) => streamKey(options.prefix, topic));
    this.done = this.run();
  }

  /** Topics read now. */
  get size(): number {
    return this.topics.length;
  }

  /** Reads `topic` too, from its entry in `lastIds`, from the next read on (a blocked read is cut short). */
  add(topic: string): void {
    if (this.topics.includes(topic)) return;
    // A new array, never mutated: a read in flight keeps the topics and keys it started with, in step.
    this.topics = [...this.topics, topic];
    this.changed();
  }

  /** Stops reading `topic` from the next read on. */
  remove(topic: string): void {
    if (!this.topics.includes(topic)) return;
    this.topics = this.topics.filter((t) => t !== topic);
    this.changed();
  }

  private changed(): void {
    this.keys = this.topics.map((topic) => streamKey(this.options.prefix, topic));
    this.generation += 1;
    this.wake?.();
    void this.interrupt();
  }

  /**
   * Cuts short a blocking read started before the topics changed (`CLIENT UNBLOCK` from another
   * connection: the read returns as if it timed out), so a new topic is read at once rather than
   * after `blockMs`. The read may not have reached Redis yet: then it is tried again, briefly.
   */
  private async interrupt(): Promise<void> {
    if (this.interrupting) return;
    this.interrupting = true;
    try {
      for (let attempt = 0; attempt < 50 && !this.stopped && this.reading !== -1 && this.reading < this.generation && this.clientId; attempt++) {
        if ((await this.options.unblock(this.options.routeKey, this.clientId)) === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    } catch {
      // the read times out by itself after blockMs
    } finally {
      this.interrupting = false;
    }
  }

  private async run(): Promise<void> {
    const { conn, lastIds, blockMs, count } = this.options;
    let failures = 0;
    while (!this.stopped) {
      let reply: unknown;
      if (this.topics.length === 0) {
        await this.pause(blockMs); // nothing to read until a topic is added (add wakes it)
        continue;
      }
      const { topics, keys } = this;
      try {
        this.clientId ??= String(await conn.send(this.options.routeKey, ['CLIENT', 'ID']));
        const ids = topics.map((topic) => lastIds.get(topic) ?? '0-0');
        this.reading = this.generation;
        reply = await conn.send(keys[0] as string, ['XREAD', 'COUNT', String(count), 'BLOCK', String(blockMs), 'STREAMS', ...keys, ...ids]);
        this.reading = -1;
      } catch (error) {
        this.reading = -1;
        if (this.stopped) return;
        this.clientId = undefined; // a new connection after a failure has a new id
        this.options.report(error);
        await this.pause(backoffMs(failures, this.options.reconnect));
        failures += 1;
        continue;
      }
      failures = 0;
      if (this.stopped) return;
      this.options.report();
      const batch = this.batchOf(reply, topics);
      if (batch.length > 0) this.options.deliver(await this.drain(batch, topics, keys));
    }
  }

  /**
   * What Redis already holds after a blocking read, read without blocking and delivered with it:
   * a burst then reaches the system in one delivery, so each connection gets one coalesced write
   * for it instead of one per read (a blocking read returns as soon as the first event is in).
   * Bounded; a failed read here is left to the next blocking read, which starts from the last id.
   */
  private async drain(batch: ReadEntry[], topics: readonly string[], keys: readonly string[]): Promise<ReadEntry[]> {
    const { conn, lastIds, count } = this.options;
    for (let reads = 0; reads < DRAIN_READS && !this.stopped; reads++) {
      let more: ReadEntry[];
      try {
        const ids = topics.map((topic) => lastIds.get(topic) ?? '0-0');
        more = this.batchOf(await conn.send(keys[0] as string, ['XREAD', 'COUNT', String(count), 'STREAMS', ...keys, ...ids]), topics);
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
  private batchOf(reply: unknown, topics: readonly string[]): ReadEntry[] {
    if (!Array.isArray(reply)) return [];
    const { prefix, lastIds } = this.options;
    const batch: Array<ReadEntry & { rank: number }> = [];
    for (const item of reply as Array<[string, unknown]>) {
      const entries = entriesOf(prefix, item[0], item[1]);
      const last = entries[entries.length - 1];
      // A topic removed while this read was out: its entries are no longer this node's.
      if (!last || !this.topics.includes(last.message.topic)) continue;
      lastIds.set(last.message.topic, last.sid);
      const rank = topics.indexOf(last.message.topic);
      for (const entry of entries) batch.push({ ...entry, rank });
    }
    if (reply.length > 1) batch.sort((a, b) => compareStreamIds(a.sid, b.sid) || a.rank - b.rank);
    return batch;
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    }).then(() => {
      clearTimeout(this.timer);
      this.wake = undefined;
    });
  }

  /** Stops after the current read (the caller destroys the connection to end a blocked one). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
  }
}
