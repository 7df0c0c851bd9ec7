import type { Transport, TransportMessage } from '../transport/types.ts';

/** What the mirror does to the local history and fan-out of a topic. */
export interface MirrorHost {
  /** Empties the local history of `topic` (it is no longer kept up to date). */
  forget(topic: string): void;
  /** Appends without fan-out (`live: false`), or appends and fans out (`live: true`). */
  deliver(message: TransportMessage, live: boolean): void;
  /** A stream subscribes to `pattern`: resolves once the families it reaches are watched (`FamilyWatch.ready`). */
  watch?(pattern: string): Promise<void> | undefined;
  /** Following `topic` for a pattern failed (it is no longer followed). */
  lost?(topic: string): void;
}

interface Warming {
  readonly ready: Promise<void>;
  /** Whether the fetched history is fanned out (followed for a pattern, after an announcement) or only kept. */
  live: boolean;
  /** Live events that came while the history was being fetched (delivered after it, once). */
  readonly buffer: TransportMessage[];
}

/**
 * Which runtime topics this node reads, for a transport that reads selectively (`follow`): a topic
 * is followed from its first local subscriber to its last. Before a first subscriber attaches, the
 * topic's recent history is fetched and restored into the local log, and live events that arrive
 * meanwhile are held and delivered after it (those already in the fetched history are skipped):
 * replay then live, no gap, no duplicate. Without `follow` every topic is delivered and this does nothing.
 */
export class TopicMirror {
  private readonly followed = new Set<string>();
  private readonly pending = new Map<string, Warming>();

  constructor(
    private readonly transport: Transport,
    private readonly fixed: ReadonlySet<string>,
    private readonly host: MirrorHost,
  ) {}

  /** Resolves once every name among `topics` is followed, or undefined when none needs waiting for. */
  ready(topics: readonly string[]): Promise<void> | undefined {
    if (!this.transport.follow) return undefined;
    let waits: Array<Promise<void>> | undefined;
    for (const topic of topics) {
      if (topic.includes('*')) {
        const watching = this.host.watch?.(topic);
        if (watching) (waits ??= []).push(watching);
        continue;
      }
      if (this.fixed.has(topic) || this.followed.has(topic)) continue;
      (waits ??= []).push((this.pending.get(topic) ?? this.warm(topic, false)).ready);
    }
    return waits && (waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined));
  }

  /**
   * Follows `topic` for a pattern subscription. `live`: the fetched history is fanned out, not only
   * kept (the name was announced by the publish that created it: everything in it is newer).
   */
  follow(topic: string, live: boolean): void {
    if (!this.transport.follow || this.fixed.has(topic) || this.followed.has(topic)) return;
    const pending = this.pending.get(topic);
    if (pending) {
      pending.live ||= live;
      return;
    }
    this.warm(topic, live).ready.catch(() => this.host.lost?.(topic));
  }

  private warm(topic: string, live: boolean): Warming {
    const buffer: TransportMessage[] = [];
    const follow = (this.transport.follow as (topic: string) => Promise<readonly TransportMessage[]>).bind(this.transport);
    const ready = follow(topic).then(
      (history) => {
        this.pending.delete(topic);
        this.followed.add(topic);
        this.host.forget(topic);
        const seen = new Set<string>();
        for (const message of history) {
          seen.add(message.id);
          this.host.deliver(message, warming.live);
        }
        for (const message of buffer) if (!seen.has(message.id)) this.host.deliver(message, true);
      },
      (error: unknown) => {
        this.pending.delete(topic);
        this.transport.unfollow?.(topic);
        throw error;
      },
    );
    const warming: Warming = { ready, buffer, live };
    this.pending.set(topic, warming);
    return warming;
  }

  /** True while `topic`'s history is being fetched for a first subscriber. */
  warming(topic: string): boolean {
    return this.pending.has(topic);
  }

  /** True when `message` was held (its topic's history is being fetched): deliver it later. */
  held(message: TransportMessage): boolean {
    const warming = this.pending.size > 0 ? this.pending.get(message.topic) : undefined;
    if (!warming) return false;
    warming.buffer.push(message);
    return true;
  }

  /** The topic's last local subscriber left (or it was dropped): stop reading it; its local log is stale from now on. */
  idle(topic: string): void {
    if (!this.followed.delete(topic)) return;
    this.transport.unfollow?.(topic);
    this.host.forget(topic);
  }
}
