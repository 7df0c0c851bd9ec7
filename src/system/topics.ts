import { DROP, emptyAt, framesAfter } from '../actors/history.ts';
import { resetFrame } from '../protocol/control.ts';
import type { Frame } from '../protocol/frame.ts';
import type { SupervisionTree } from '../actors/tree.ts';
import type { Connection } from '../actors/connection.ts';
import { IndexedHeap, type HeapItem } from '../runtime/heap.ts';
import type { Deadline, Deadlines } from '../runtime/deadlines.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Stats } from '../runtime/stats.ts';
import { TopicTable } from './topic-table.ts';
import { TopicCatalog } from './topic-catalog.ts';
import { TooManyTopicsError, UnknownTopicError } from './errors.ts';
import { isPattern } from '../protocol/topics.ts';
import type { ResolvedOptions } from './defaults.ts';
import { TopicMirror } from './mirror.ts';
import { FamilyWatch } from './family-watch.ts';
import type { Transport, TransportMessage } from '../transport/types.ts';

/** Reclaim sweeps run at most this often (ms on the system clock): idle topics go together. */
export const RECLAIM_SWEEP_MS = 1000;

/** A topic that may be reclaimed once its history is empty: when to look at it again. */
interface Candidate extends HeapItem {
  readonly topic: string;
}

/** What the topics of a system reach into. */
export interface TopicsHost {
  readonly tree: SupervisionTree;
  readonly stats: Stats;
  readonly deadlines: Deadlines;
  readonly clock: Clock;
  readonly transport: Transport;
  /** Appends to history without fan-out (`live: false`), or appends and fans out. */
  deliver(message: TransportMessage, live: boolean): void;
}

/** Live topic counts, for `snapshot().topicCount`. */
export interface TopicCount {
  /** Live topics: fixed, registered and created. */
  live: number;
  /** `maxTopics`. */
  max: number;
  /** Live topics created from each family. */
  families: Record<string, number>;
}

/**
 * Topics at runtime: families create names on first use, `registerTopic` / `unregisterTopic` add and
 * remove them, and idle created topics (no subscriber, history empty or expired) are reclaimed by a
 * sweep on the system clock, leaving nothing behind (table, index, registry entry, history log,
 * stats series, resolution cache, transport read).
 */
export class Topics {
  readonly table: TopicTable;
  readonly catalog: TopicCatalog;
  /** Which runtime topics this node reads, with a transport that reads selectively. */
  readonly mirror: TopicMirror;
  /** Which families' new names this node watches, for its pattern subscribers (Redis). */
  readonly watch: FamilyWatch;
  private readonly candidates = new Map<string, Candidate>();
  private readonly due = new IndexedHeap<Candidate>();
  private sweep: Deadline | undefined;

  constructor(
    options: Pick<ResolvedOptions, 'topics' | 'families' | 'maxTopics' | 'maxTopicLength' | 'maxTopicsPerStream'>,
    declared: readonly string[],
    private readonly host: TopicsHost,
  ) {
    this.table = new TopicTable(declared, options.topics, options.families, options.maxTopics, options.maxTopicLength);
    this.catalog = new TopicCatalog(this.table, options);
    for (const topic of options.topics) host.stats.track(topic);
    for (const family of options.families) host.stats.series(family);
    this.mirror = new TopicMirror(host.transport, new Set(options.topics), {
      forget: (topic) => host.tree.history()?.ref.send({ type: DROP, topic }),
      deliver: host.deliver,
      watch: (pattern) => this.watch.ready(pattern),
      lost: (topic) => this.release(topic),
    });
    this.watch = new FamilyWatch(host.transport, options.families, {
      create: (topic) => this.forFollow(topic),
      matching: (pattern) => this.table.index.resolve([pattern]).topics.filter((topic) => this.table.kind(topic) !== 'fixed'),
      follow: (topic, live) => this.mirror.follow(topic, live),
      release: (topic) => this.release(topic),
    });
  }

  /** A name a pattern subscriber of this node should get (announced, or matching): live here, or false (`maxTopics`, not a family's). */
  private forFollow(topic: string): boolean {
    try {
      this.forNotify(topic);
      return true;
    } catch {
      return false;
    }
  }

  /** No pattern holds `topic` any more: idle, unless it has subscribers by name. */
  private release(topic: string): void {
    this.watch.forget(topic);
    if ((this.host.tree.index()?.get(topic)?.size ?? 0) === 0) this.idle(topic);
  }

  /** `notify` names `topic`: a live one, or one its family creates now (reclaimed later if nobody listens). */
  forNotify(topic: string): void {
    if (this.table.has(topic)) return;
    this.table.check(topic);
    this.made(this.table.create([topic]));
  }

  /**
   * A transport that delivers every topic (no `follow`: memory, cluster) brought an event of a name
   * this node has not seen: its family creates it here too, so that a first subscriber on this node
   * replays exactly (reclaimed later if nobody listens). False when no family takes the name, or
   * `maxTopics` is reached: the event is not this node's.
   */
  forDelivery(topic: string): boolean {
    if (this.host.transport.follow) return false;
    try {
      this.forNotify(topic);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * A stream is about to subscribe to `topics`: the names not live yet are created, all or none.
   * They are reclaim candidates too: a stream that never subscribes (its sink failed to open) leaves
   * nothing behind, and one that does is seen subscribed at the sweep.
   */
  forStream(topics: readonly string[]): void {
    this.made(this.table.create(topics));
  }

  private made(fresh: readonly string[]): void {
    for (const topic of fresh) {
      this.host.stats.track(topic, this.table.family(topic));
      this.watch.created(topic); // a local pattern subscriber matches it: followed, and not idle
      this.idle(topic);
    }
  }

  /** `system.registerTopic`: a name kept until unregistered (a created one is promoted). */
  register(topic: string): void {
    this.table.checkName(topic);
    if (this.table.has(topic)) return this.table.promote(topic);
    this.table.create([topic], 'registered');
    this.host.stats.track(topic);
    this.catalog.clear();
  }

  /**
   * `system.unregisterTopic`: the topic leaves the live set, its history and its series go, and the
   * streams subscribed to it by name are ended with a retry hint (returned, for the system to end).
   */
  unregister(topic: string): Connection[] {
    if (!this.table.has(topic)) throw new UnknownTopicError([String(topic)], this.table.declared);
    const streams = [...(this.host.tree.index()?.get(topic) ?? [])];
    this.drop(topic);
    this.catalog.clear();
    return streams;
  }

  /** A created topic has no subscriber now: look at it at the next sweep. */
  idle(topic: string): void {
    if (this.watch.holds(topic)) return; // a pattern subscriber gets it: followed, not reclaimed
    this.mirror.idle(topic);
    if (this.table.kind(topic) !== 'created') return;
    this.schedule(topic, this.host.clock.now());
  }

  private schedule(topic: string, at: number): void {
    let candidate = this.candidates.get(topic);
    if (!candidate) this.candidates.set(topic, (candidate = { topic, heapKey: at, heapIndex: -1 }));
    else this.due.remove(candidate);
    candidate.heapKey = at;
    this.due.push(candidate);
    this.arm();
  }

  /** One deadline for the earliest candidate, rounded up to the sweep period so that topics go together. */
  private arm(): void {
    const head = this.due.peek();
    if (!head || this.sweep) return;
    const now = this.host.clock.now();
    const at = Math.max(now, Math.ceil(head.heapKey / RECLAIM_SWEEP_MS) * RECLAIM_SWEEP_MS);
    this.sweep = this.host.deadlines.schedule(at - now, () => this.run());
  }

  private run(): void {
    this.sweep = undefined;
    const now = this.host.clock.now();
    const history = this.host.tree.history();
    const index = this.host.tree.index();
    for (let head = this.due.peek(); head !== undefined && head.heapKey <= now; head = this.due.peek()) {
      this.due.pop();
      const { topic } = head;
      this.candidates.delete(topic);
      // Subscribed again, registered, or gone meanwhile: the registry says when it is idle again.
      if (this.table.kind(topic) !== 'created' || (index?.get(topic)?.size ?? 0) > 0 || this.watch.holds(topic)) continue;
      // Its first subscriber waits for its history: look again at the next sweep.
      if (this.mirror.warming(topic)) {
        this.schedule(topic, now + RECLAIM_SWEEP_MS);
        continue;
      }
      const empty = history ? emptyAt(history.context, topic) : 0;
      if (empty <= now) this.drop(topic);
      else if (empty !== Number.POSITIVE_INFINITY) this.schedule(topic, empty);
    }
    this.arm();
  }

  /** Takes `topic` out of everything that holds it. */
  private drop(topic: string): void {
    this.table.remove(topic);
    this.host.tree.history()?.ref.send({ type: DROP, topic });
    this.host.stats.untrack(topic);
    this.catalog.forget(topic);
    this.watch.forget(topic);
    const candidate = this.candidates.get(topic);
    if (candidate) {
      this.due.remove(candidate);
      this.candidates.delete(topic);
    }
    this.mirror.idle(topic);
  }

  /** `admit`: refuses at once (`TooManyTopicsError`) a stream whose new names would not fit. */
  admissible(topics: readonly string[]): void {
    const fresh = this.table.missing(topics);
    if (fresh.length > 0 && this.table.size + fresh.length > this.table.max) throw new TooManyTopicsError(this.table.max, fresh);
  }

  /** A stream's topics with its patterns expanded to the live names they match now (for replay). */
  expand(topics: readonly string[]): readonly string[] {
    if (!topics.some(isPattern)) return topics;
    return [...new Set([...topics.filter((t) => !isPattern(t)), ...this.table.index.resolve(topics.filter(isPattern)).topics])];
  }

  /** What a client that last saw `lastEventId` missed on `topics`: the events, or an `sse-reset`. */
  replayInto(frames: Frame[], topics: readonly string[], lastEventId: string): void {
    const { stats } = this.host;
    const history = this.host.tree.history();
    const missed = history ? framesAfter(history.context, this.expand(topics), lastEventId) : 'history-off';
    if (typeof missed === 'string') {
      stats.resets[missed] += 1;
      frames.push(resetFrame(missed, lastEventId));
      return;
    }
    stats.replayed += missed.length;
    for (const frame of missed) frames.push(frame);
  }

  /**
   * `snapshot().topics`: a row per fixed or registered topic, in registration order, and one per
   * family adding up its created topics (a family may have 100k of them).
   */
  rows(subscribers: (topic: string) => number, history: Record<string, { events: number }>): Array<{ topic: string; subscribers: number; history: number }> {
    const rows = new Map<string, { topic: string; subscribers: number; history: number }>();
    for (const family of this.table.familyList) rows.set(family, { topic: family, subscribers: 0, history: 0 });
    const out: Array<{ topic: string; subscribers: number; history: number }> = [];
    for (const topic of this.table.index.resolve(['**']).topics) {
      const family = this.table.kind(topic) === 'created' ? this.table.family(topic) : undefined;
      const row = family === undefined ? { topic, subscribers: 0, history: 0 } : (rows.get(family) as { topic: string; subscribers: number; history: number });
      if (family === undefined) out.push(row);
      row.subscribers += subscribers(topic);
      row.history += history[topic]?.events ?? 0;
    }
    return [...out, ...rows.values()];
  }

  /** Live topic counts. */
  count(): TopicCount {
    return { live: this.table.size, max: this.table.max, families: Object.fromEntries(this.table.byFamily) };
  }

  /** Stops the sweep (the system stopped). */
  stop(): void {
    this.sweep?.cancel();
    this.sweep = undefined;
  }
}
