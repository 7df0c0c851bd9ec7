import { isPattern, matchTopic } from '../protocol/topics.ts';
import { presenceChunk } from '../protocol/presence.ts';
import { closeFrame } from '../protocol/control.ts';
import type { SseEvent } from '../protocol/chunk.ts';
import type { SseUser } from '../protocol/user.ts';
import { CLOSE, type Connection } from '../actors/connection.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Stats } from '../runtime/stats.ts';
import type { DisconnectSelector, Occupancy, PresenceChange, PresenceDelta, PresenceEntry, PresenceHost, PresenceStore } from '../transport/presence-types.ts';
import { DuplicateEventIdError, InvalidSelectorError, NotUnderPresenceError } from './errors.ts';
import type { ResolvedPresence } from './presence-options.ts';

/** A stream as presence sees it at start and at release (a Connection, or what the system released). */
export interface PresenceStream {
  readonly topics: readonly string[];
  readonly user?: SseUser | undefined;
}

/** This node's streams on one presence topic: what `snapshot().presence` shows. */
interface LocalCount {
  connections: number;
  readonly users: Map<string, number>;
}

/** What presence needs from its system. */
export interface PresenceDeps {
  readonly node: string;
  readonly clock: Clock;
  readonly stats: Stats;
  readonly store: PresenceStore;
  /** The live connections of this node (disconnect ends some of them). */
  connections(): Iterable<Connection>;
  /** Notifies an event like `system.notify` (presence events go through the transport, into history). */
  notify(event: SseEvent): void | Promise<void>;
}

/** How many ids are tried past one that history already holds (a node name reused across restarts). */
const ID_ATTEMPTS = 1000;

/**
 * Presence on one node: counts +1 per (topic, user) when a stream with a user starts and −1 when
 * it is released (an actor's kill and restart is neither), sums them per (topic, user) over
 * `batchMs`, applies the non-zero sums to the store and announces the transitions it returns.
 * Exists only when `createSystem({ presence })` is set: with presence off nothing here runs.
 */
export class Presence implements PresenceHost {
  readonly node: string;
  readonly ttlMs: number;
  private readonly pending = new Map<string, { topic: string; id: string; info?: SseUser['info']; delta: number }>();
  private readonly local = new Map<string, LocalCount>();
  private timer: unknown;
  private chain: Promise<void>;
  private seq = 0;

  constructor(
    private readonly options: ResolvedPresence,
    private readonly deps: PresenceDeps,
  ) {
    this.node = deps.node;
    this.ttlMs = options.ttlMs;
    this.chain = deps.store.start(this).catch((error: unknown) => console.error('[sse-actors] presence store did not start:', error));
  }

  /** True when `topic` is a concrete topic matched by a presence pattern. */
  covers(topic: string): boolean {
    return !isPattern(topic) && this.options.topics.some((pattern) => matchTopic(pattern, topic));
  }

  /** A stream started (`system` begin). */
  opened(stream: PresenceStream): void {
    if (stream.user) this.count(stream.topics, stream.user, 1);
  }

  /** A stream was released for good (not a restart). */
  closed(stream: PresenceStream): void {
    if (stream.user) this.count(stream.topics, stream.user, -1);
  }

  private count(topics: readonly string[], user: SseUser, delta: number): void {
    for (const topic of topics) {
      if (!this.covers(topic)) continue;
      this.countLocal(topic, user.id, delta);
      const key = `${topic}\u0000${user.id}`;
      const entry = this.pending.get(key);
      if (entry) {
        entry.delta += delta;
        if (delta > 0 && user.info !== undefined) entry.info = user.info;
      } else this.pending.set(key, user.info === undefined ? { topic, id: user.id, delta } : { topic, id: user.id, info: user.info, delta });
    }
    if (this.timer === undefined && this.pending.size > 0) this.timer = this.deps.clock.setTimeout(() => void this.flush(), this.options.batchMs);
  }

  private countLocal(topic: string, id: string, delta: number): void {
    let here = this.local.get(topic);
    if (!here) this.local.set(topic, (here = { connections: 0, users: new Map() }));
    here.connections += delta;
    const n = (here.users.get(id) ?? 0) + delta;
    if (n > 0) here.users.set(id, n);
    else here.users.delete(id);
    if (here.connections <= 0) this.local.delete(topic);
  }

  /**
   * Applies what is pending now (zero sums dropped) and resolves once it is applied and announced,
   * after every earlier batch: `presence()` and `occupancy()` call it, so a caller sees its own streams.
   */
  flush(): Promise<void> {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const deltas: PresenceDelta[] = [];
    for (const entry of this.pending.values()) if (entry.delta !== 0) deltas.push(entry);
    this.pending.clear();
    if (deltas.length > 0) {
      this.chain = this.chain
        .then(() => this.deps.store.apply(deltas))
        .then(
          (changes) => this.reaped(changes),
          (error: unknown) => console.error('[sse-actors] presence: a batch could not be applied:', error),
        );
    }
    return this.chain;
  }

  /** Announces transitions (the store's, or a dead node's users this node reaped). */
  reaped(changes: readonly PresenceChange[]): void {
    if (!this.options.events) return;
    for (const change of changes) this.announce(change);
  }

  private announce(change: PresenceChange): void {
    const data = presenceChunk(change);
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const id = `presence-${this.node}-${this.seq++}`;
      try {
        const sent = this.deps.notify({ id, topic: change.topic, data: { ...data, id } });
        if (sent) sent.catch((error: unknown) => console.error('[sse-actors] presence event not sent:', error));
        return;
      } catch (error) {
        if (error instanceof DuplicateEventIdError) continue; // this node's name was used before (a restart): next id
        return; // the system is stopping: nobody is left to tell on this node
      }
    }
  }

  async list(topic: string): Promise<PresenceEntry[]> {
    this.check(topic);
    await this.flush();
    return [...(await this.deps.store.list(topic))];
  }

  async occupancy(topic: string): Promise<Occupancy> {
    this.check(topic);
    await this.flush();
    return this.deps.store.occupancy(topic);
  }

  private check(topic: unknown): asserts topic is string {
    if (typeof topic !== 'string' || !this.covers(topic)) throw new NotUnderPresenceError(topic);
  }

  /** This node's view, per topic (cheap: two sizes per topic under presence with streams). */
  counts(): Array<{ topic: string; users: number; connections: number }> {
    return [...this.local].map(([topic, here]) => ({ topic, users: here.users.size, connections: here.connections }));
  }

  /** Ends the matching streams of this node (the store calls it on every node). */
  disconnect(selector: DisconnectSelector): number {
    return disconnectLocal(this.deps.connections(), selector, this.deps.stats);
  }

  /** `system.disconnect` with presence on: through the store, so a shared one reaches every node. */
  everywhere(selector: DisconnectSelector): Promise<number> {
    return this.deps.store.disconnect(selector);
  }

  /** Applies what is pending (the streams ended by stop), then stops the store. */
  async stop(): Promise<void> {
    await this.flush();
    await this.deps.store.stop();
  }
}

/** Checks a `system.disconnect` selector; throws {@link InvalidSelectorError}. */
export function checkSelector(selector: unknown): DisconnectSelector {
  const s = selector as DisconnectSelector | null;
  if (typeof s !== 'object' || s === null) throw new InvalidSelectorError(selector);
  const { user, topic, reconnect } = s;
  if (user === undefined && topic === undefined) throw new InvalidSelectorError(selector);
  if ((user !== undefined && typeof user !== 'string') || (topic !== undefined && typeof topic !== 'string') || (reconnect !== undefined && typeof reconnect !== 'boolean')) {
    throw new InvalidSelectorError(selector);
  }
  return { ...(user === undefined ? {} : { user }), ...(topic === undefined ? {} : { topic }), ...(reconnect === undefined ? {} : { reconnect }) };
}

/**
 * Ends this node's streams that match (a user's, a topic's, or both): by default the normal server
 * end (a jittered retry: the client's next authorize decides); `reconnect: false` writes
 * `event: sse-close` and a retry too long to wait for. Streams already ending are not counted.
 */
export function disconnectLocal(connections: Iterable<Connection>, selector: DisconnectSelector, stats: Stats): number {
  let ended = 0;
  for (const connection of [...connections]) {
    if (selector.user !== undefined && connection.user?.id !== selector.user) continue;
    if (selector.topic !== undefined && !connection.topics.includes(selector.topic)) continue;
    const actor = connection.actor;
    if (!actor || connection.isEnding) continue;
    if (selector.reconnect === false) connection.drainAndEnd(closeFrame('disconnected'));
    actor.send({ type: CLOSE });
    ended += 1;
  }
  stats.counters.disconnected += ended;
  return ended;
}
