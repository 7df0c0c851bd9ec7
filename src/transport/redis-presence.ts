import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../protocol/user.ts';
import type { DisconnectSelector, Occupancy, PresenceChange, PresenceDelta, PresenceEntry, PresenceHost, PresenceStore } from './presence-types.ts';
import { DisconnectRequests } from './redis-presence-control.ts';
import {
  APPLY_SCRIPT, BEAT_SCRIPT, CONTROL_TOPIC, FORGET_SCRIPT, LIST_SCRIPT, REAP_SCRIPT,
  bySlot, changesOf, evalScript, infoKey, liveKey, topicKeys, topicsKey, totalsKey,
} from './redis-presence-scripts.ts';
import type { TransportMessage } from './types.ts';

/**
 * What the presence store needs of its Redis transport: its connection, its prefix, and a reader
 * for the control stream.
 * @example
 * ```ts
 * const link: PresenceLink = { prefix: 'app:', cluster: false, send: (key, args) => conn.send(key, args), watch: async () => {} };
 * const store = new RedisPresence(link);
 * ```
 */
export interface PresenceLink {
  readonly prefix: string;
  /** On a Cluster each script touches the keys of one slot: a batch is split per slot. */
  readonly cluster: boolean;
  /** Resolves once the transport has connected (the system may start the store first); rejects if it stopped before. */
  connected(): Promise<void>;
  /** One command, routed by `key`; rejects while the transport is not connected. */
  send(key: string, args: string[]): Promise<unknown>;
  /** Starts reading `topic`'s stream from its newest entry on; every later entry goes to `handler`. */
  watch(topic: string, handler: (message: TransportMessage) => void): Promise<void>;
}

const parse = (info: string | undefined): { info?: JsonValue } => (info === undefined ? {} : { info: JSON.parse(info) as JsonValue });

/**
 * Presence kept in Redis, shared by every node on the same Redis (or Cluster) and prefix: per-node
 * entries, global totals, a heartbeat per node, and reaping of dead nodes by the survivors. Each
 * batch is one EVALSHA per Cluster slot it touches. See docs/presence.md, "Across nodes (Redis)".
 * @example
 * ```ts
 * const store = redisTransport({ url: 'redis://127.0.0.1:6379' }).presence();
 * ```
 */
export class RedisPresence implements PresenceStore {
  private host: PresenceHost | undefined;
  /** This node's incarnation: `node#random`, new at every start. */
  private inc = '';
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<{ work: Promise<void> }> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** A write failed (Redis away): Redis may hold less or more than `mine`; the next heartbeat resets it. */
  private dirty = false;
  /** Topics in this incarnation's topics SET. */
  private readonly known = new Set<string>();
  /** This node's own counts (what Redis should hold for it): re-applied if it was reaped while alive. */
  private readonly mine = new Map<string, Map<string, { count: number; info: string }>>();
  private readonly reaping = new Set<string>();
  private readonly requests: DisconnectRequests;

  constructor(private readonly link: PresenceLink) {
    this.requests = new DisconnectRequests(link);
  }

  /** This node's incarnation (`node#random`), as it appears in the liveness set. */
  get incarnation(): string {
    return this.inc;
  }

  async start(host: PresenceHost): Promise<void> {
    this.host = host;
    this.inc = `${host.node}#${randomUUID().slice(0, 8)}`;
    await this.link.connected();
    const { prefix } = this.link;
    await this.link.watch(CONTROL_TOPIC, (message) => this.requests.receive(message, this.inc, this.stopped ? undefined : this.host));
    // The same node id restarted: its old incarnation's streams are gone; reap it now, not after ttlMs.
    const members = (await this.link.send(liveKey(prefix), ['ZRANGE', liveKey(prefix), '0', '-1'])) as string[];
    for (const old of members) if (old.slice(0, old.lastIndexOf('#')) === host.node) this.announce(await this.reap(old));
    await this.beat();
    if (this.stopped) return; // stopped while starting: no timer left behind
    this.timer = setInterval(() => void this.beat().catch(() => undefined), this.interval());
    this.timer.unref();
  }

  /**
   * One EVALSHA per slot the batch touches. A rejected apply (Redis away) is not to be retried: the
   * store keeps this node's counts itself and, at its next heartbeat that reaches Redis, resets
   * this node's entries to them, handing the transitions that makes to `host.reaped`.
   */
  apply(deltas: readonly PresenceDelta[]): Promise<readonly PresenceChange[]> {
    return this.serial(() => {
      for (const d of deltas) this.remember(d);
      return this.write(deltas.filter((d) => d.delta !== 0)).catch((error: unknown) => {
        this.dirty = true;
        throw error;
      });
    });
  }

  async list(topic: string): Promise<readonly PresenceEntry[]> {
    const { prefix } = this.link;
    const [totals, infos] = (await this.script(LIST_SCRIPT, [totalsKey(prefix, topic), infoKey(prefix, topic)], [])) as [string[], string[]];
    const info = new Map<string, string>();
    for (let n = 0; n + 1 < infos.length; n += 2) info.set(infos[n] as string, infos[n + 1] as string);
    const out: PresenceEntry[] = [];
    for (let n = 0; n + 1 < totals.length; n += 2) {
      const id = totals[n] as string;
      const connections = Number(totals[n + 1]);
      if (connections > 0) out.push({ id, ...parse(info.get(id)), connections });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async occupancy(topic: string): Promise<Occupancy> {
    const key = totalsKey(this.link.prefix, topic);
    const counts = ((await this.link.send(key, ['HVALS', key])) as string[]).map(Number).filter((n) => n > 0);
    return { users: counts.length, connections: counts.reduce((a, b) => a + b, 0) };
  }

  async disconnect(selector: DisconnectSelector): Promise<number> {
    const host = this.requireHost();
    const here = host.disconnect(selector);
    return here + (await this.requests.ask(selector, this.inc, Math.max(1000, host.ttlMs)));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.requests.stop();
    if (!this.host) return;
    // A graceful stop takes this node's entries with it: its users' leaves go to the host, and no
    // survivor has anything to reap.
    try {
      await this.chain;
      const leaves = await this.reap(this.inc);
      if (leaves.length > 0) this.host.reaped(leaves);
    } catch {
      // Redis away: the survivors reap this incarnation after ttlMs
    }
  }

  /**
   * One heartbeat (every ttlMs / 4): one EVALSHA that sets this node's deadline (now + ¾ ttlMs) and
   * names the incarnations whose deadline passed; each is then reaped. Resolves once that work is
   * done. Only the EVALSHA is shared by overlapping calls: a slow reap never delays the next
   * heartbeat (which would let this node's own deadline pass). Exposed for tests.
   */
  async beat(): Promise<void> {
    const beating = (this.beating ??= this.beatOnce().finally(() => (this.beating = undefined)));
    await (await beating).work;
  }

  /** The EVALSHA; `work` (wrapped: an async function would wait for it) is what its reply asks for. */
  private async beatOnce(): Promise<{ work: Promise<void> }> {
    if (this.stopped || !this.host) return { work: Promise.resolve() };
    // A deadline one beat short of ttlMs: the survivors' next beat after it falls within ttlMs of the death.
    const ttl = String(this.host.ttlMs - this.interval());
    const [present, ...dead] = (await this.script(BEAT_SCRIPT, [liveKey(this.link.prefix)], [this.inc, ttl])) as [number, ...string[]];
    const work: Array<Promise<void>> = dead.map((inc) => this.reap(inc).then((leaves) => this.announce(leaves)));
    // Reaped while alive (paused past ttlMs), or a batch failed: put this node's entries back, announcing what changed.
    if ((present === 0 || this.dirty) && (this.known.size > 0 || this.mine.size > 0)) {
      this.dirty = false;
      work.push(this.serial(() => this.rejoin()).then((changes) => this.announce(changes), (error: unknown) => {
        this.dirty = true;
        throw error;
      }));
    }
    return { work: Promise.all(work).then(() => undefined) };
  }

  private interval(): number {
    return Math.max(25, Math.floor((this.host?.ttlMs ?? 0) / 4));
  }

  private announce(changes: readonly PresenceChange[]): void {
    if (changes.length > 0 && !this.stopped) this.host?.reaped(changes);
  }

  /** Removes an incarnation's entries (one EVALSHA per slot) and forgets it; resolves with its leaves. */
  private async reap(inc: string): Promise<PresenceChange[]> {
    if (this.reaping.has(inc)) return [];
    this.reaping.add(inc);
    try {
      const { prefix } = this.link;
      const topics = (await this.link.send(topicsKey(prefix, inc), ['SMEMBERS', topicsKey(prefix, inc)])) as string[];
      const leaves = await this.removeAll(inc, topics);
      await this.script(FORGET_SCRIPT, [liveKey(prefix), topicsKey(prefix, inc)], [inc]);
      return leaves;
    } finally {
      this.reaping.delete(inc);
    }
  }

  private async removeAll(inc: string, topics: readonly string[]): Promise<PresenceChange[]> {
    const groups = bySlot(topics, (topic) => topic, this.link.cluster);
    const replies = await Promise.all(groups.map((group) => this.script(REAP_SCRIPT, group.flatMap((topic) => topicKeys(this.link.prefix, topic, inc)), []).then((reply) => changesOf(reply, group))));
    return replies.flat().map(({ info, ...change }) => ({ ...change, ...parse(info) }));
  }

  /** Resets this incarnation's entries to `mine` after it was reaped; the leaves and joins that cancel out are not announced. */
  private async rejoin(): Promise<PresenceChange[]> {
    const leaves = await this.removeAll(this.inc, [...this.known]);
    this.known.clear();
    const deltas: PresenceDelta[] = [];
    for (const [topic, users] of this.mine) for (const [id, { count, info }] of users) deltas.push({ topic, id, delta: count, ...parse(info === '' ? undefined : info) });
    const joins = await this.write(deltas);
    const key = (c: PresenceChange): string => `${c.topic}\n${c.id}`;
    const left = new Set(leaves.map(key));
    const joined = new Set(joins.map(key));
    return [...leaves.filter((c) => !joined.has(key(c))), ...joins.filter((c) => !left.has(key(c)))];
  }

  private remember(d: PresenceDelta): void {
    const users = this.mine.get(d.topic) ?? new Map<string, { count: number; info: string }>();
    this.mine.set(d.topic, users);
    const info = d.info === undefined ? (users.get(d.id)?.info ?? '') : JSON.stringify(d.info);
    const count = Math.max(0, (users.get(d.id)?.count ?? 0) + d.delta);
    if (count === 0) users.delete(d.id);
    else users.set(d.id, { count, info });
    if (users.size === 0) this.mine.delete(d.topic);
  }

  /** One batch: SADD of topics new to this incarnation (rare), then one EVALSHA per slot. */
  private async write(deltas: readonly PresenceDelta[]): Promise<PresenceChange[]> {
    if (deltas.length === 0) return [];
    const { prefix } = this.link;
    const fresh = [...new Set(deltas.map((d) => d.topic))].filter((topic) => !this.known.has(topic));
    // Registered before the entries exist, so a reaper never misses a topic of this incarnation.
    if (fresh.length > 0) await this.link.send(topicsKey(prefix, this.inc), ['SADD', topicsKey(prefix, this.inc), ...fresh]);
    for (const topic of fresh) this.known.add(topic);
    const groups = bySlot(deltas, (d) => d.topic, this.link.cluster);
    const replies = await Promise.all(groups.map((group) => {
      const topics = [...new Set(group.map((d) => d.topic))];
      const args = [String(group.length), ...group.flatMap((d) => [String(topics.indexOf(d.topic) + 1), d.id, String(d.delta), d.info === undefined ? '' : JSON.stringify(d.info)])];
      return this.script(APPLY_SCRIPT, topics.flatMap((topic) => topicKeys(prefix, topic, this.inc)), args).then((reply) => changesOf(reply, topics));
    }));
    return replies.flat().map(({ info, ...change }) => ({ ...change, ...parse(info) }));
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private requireHost(): PresenceHost {
    if (!this.host) throw new Error('presence store: start() it first (the system does, when presence is on)');
    return this.host;
  }

  private script(body: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return evalScript(this.link, body, keys, args);
  }
}
