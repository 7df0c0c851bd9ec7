/**
 * Presence kept by the cluster primary: every worker's store sends its batches over IPC, the
 * primary applies them in the one order it receives them (one process, so each transition is
 * returned to exactly one store), and reaps a worker's entries the moment its process goes away.
 * No process of its own: the relay hands it messages and ports.
 */
import { WIRE_TAG, type PresenceNotice, type PresenceRequest } from './cluster-wire.ts';
import type { JsonValue } from '../protocol/user.ts';
import type { DisconnectSelector, Occupancy, PresenceChange, PresenceDelta, PresenceEntry } from './presence-types.ts';

/**
 * Where the primary answers a store: the process's port (the relay's `Port` is one).
 * @example
 * ```ts
 * const port: PresencePort = { send: (message) => worker.send(message) };
 * ```
 */
export interface PresencePort {
  send(message: { tag: typeof WIRE_TAG; type: 'presence'; ref: number; body: PresenceNotice }): void;
}

interface Store {
  readonly port: PresencePort;
  readonly ref: number;
  readonly channel: string;
  /** topic → user → this store's streams. */
  readonly own: Map<string, Map<string, number>>;
}

interface Asked {
  readonly store: Store;
  readonly seq: number;
  readonly need: Set<Store>;
  sum: number;
  readonly timer: NodeJS.Timeout;
}

/**
 * How long a disconnect waits for the other workers' counts, in ms.
 * @example
 * ```ts
 * setTimeout(finish, CLUSTER_DISCONNECT_TIMEOUT_MS);
 * ```
 */
export const CLUSTER_DISCONNECT_TIMEOUT_MS = 2000;

/**
 * The primary's presence table of every channel.
 * @example
 * ```ts
 * const table = new PresenceTable();
 * table.receive(port, 'sse-actors', 1, 1, { op: 'start' });
 * ```
 */
export class PresenceTable {
  /** channel → topic → user → totals. */
  private readonly totals = new Map<string, Map<string, Map<string, { count: number; info?: JsonValue }>>>();
  private readonly stores = new Map<PresencePort, Map<number, Store>>();
  private readonly asked = new Map<number, Asked>();
  private requests = 0;

  receive(port: PresencePort, channel: string, ref: number, seq: number, body: PresenceRequest): void {
    const answer = (value: readonly PresenceChange[] | readonly PresenceEntry[] | Occupancy | number | null): void => port.send({ tag: WIRE_TAG, type: 'presence', ref, body: { kind: 'result', seq, value } });
    let store = this.stores.get(port)?.get(ref);
    if (body.op === 'start') {
      store = { port, ref, channel, own: new Map() };
      const refs = this.stores.get(port) ?? new Map<number, Store>();
      this.stores.set(port, refs.set(ref, store));
      return answer(null);
    }
    if (!store) return answer(null);
    switch (body.op) {
      case 'apply':
        return answer(body.deltas.flatMap((delta) => this.apply(store, delta)));
      case 'list':
        return answer([...(this.totals.get(channel)?.get(body.topic) ?? new Map<string, { count: number; info?: JsonValue }>())].map(([id, { count, info }]) => ({ id, ...(info === undefined ? {} : { info }), connections: count })).sort((a, b) => (a.id < b.id ? -1 : 1)));
      case 'occupancy': {
        const users = [...(this.totals.get(channel)?.get(body.topic)?.values() ?? [])];
        return answer({ users: users.length, connections: users.reduce((sum, user) => sum + user.count, 0) });
      }
      case 'disconnect':
        return this.disconnect(store, seq, body.selector);
      case 'count':
        return this.counted(store, body.request, body.count);
      case 'stop':
        this.remove(store);
        return answer(null);
    }
  }

  /** A process went away (or, with `ref`, one of its transports): its stores' users leave, announced by one surviving store of the channel. */
  drop(port: PresencePort, ref?: number): void {
    for (const store of [...(this.stores.get(port)?.values() ?? [])]) if (ref === undefined || store.ref === ref) this.remove(store);
  }

  private apply(store: Store, delta: PresenceDelta): PresenceChange[] {
    const users = store.own.get(delta.topic) ?? new Map<string, number>();
    store.own.set(delta.topic, users);
    const own = users.get(delta.id) ?? 0;
    const change = Math.max(delta.delta, -own); // a store never takes away another's streams
    if (own + change === 0) users.delete(delta.id);
    else users.set(delta.id, own + change);
    if (users.size === 0) store.own.delete(delta.topic);
    return this.add(store.channel, delta.topic, delta.id, change, delta.info);
  }

  private add(channel: string, topic: string, id: string, change: number, info: JsonValue | undefined): PresenceChange[] {
    if (change === 0) return [];
    const topics = this.totals.get(channel) ?? new Map<string, Map<string, { count: number; info?: JsonValue }>>();
    this.totals.set(channel, topics);
    const users = topics.get(topic) ?? new Map<string, { count: number; info?: JsonValue }>();
    topics.set(topic, users);
    const user = users.get(id) ?? { count: 0 };
    const before = user.count;
    user.count += change;
    if (info !== undefined && user.count > 0) user.info = info;
    const about = { topic, id, ...(user.info === undefined ? {} : { info: user.info }) };
    if (user.count <= 0) {
      users.delete(id);
      if (users.size === 0) topics.delete(topic);
      return before > 0 ? [{ type: 'leave', ...about }] : [];
    }
    users.set(id, user);
    return before <= 0 ? [{ type: 'join', ...about }] : [];
  }

  private remove(store: Store): void {
    this.stores.get(store.port)?.delete(store.ref);
    if (this.stores.get(store.port)?.size === 0) this.stores.delete(store.port);
    const leaves: PresenceChange[] = [];
    for (const [topic, users] of store.own) for (const [id, count] of users) leaves.push(...this.add(store.channel, topic, id, -count, undefined));
    store.own.clear();
    const survivor = this.channelStores(store.channel)[0];
    if (survivor && leaves.length > 0) survivor.port.send({ tag: WIRE_TAG, type: 'presence', ref: survivor.ref, body: { kind: 'reaped', changes: leaves } });
    for (const [request, asked] of this.asked) if (asked.need.delete(store) && asked.need.size === 0) this.finish(request);
  }

  private disconnect(store: Store, seq: number, selector: DisconnectSelector): void {
    const others = this.channelStores(store.channel).filter((other) => other !== store);
    const request = (this.requests += 1);
    const timer = setTimeout(() => this.finish(request), CLUSTER_DISCONNECT_TIMEOUT_MS);
    timer.unref?.();
    this.asked.set(request, { store, seq, need: new Set(others), sum: 0, timer });
    for (const other of others) other.port.send({ tag: WIRE_TAG, type: 'presence', ref: other.ref, body: { kind: 'disconnect', request, selector } });
    if (others.length === 0) this.finish(request);
  }

  private counted(store: Store, request: number, count: number): void {
    const asked = this.asked.get(request);
    if (!asked?.need.delete(store)) return;
    asked.sum += count;
    if (asked.need.size === 0) this.finish(request);
  }

  private finish(request: number): void {
    const asked = this.asked.get(request);
    if (!asked) return;
    this.asked.delete(request);
    clearTimeout(asked.timer);
    asked.store.port.send({ tag: WIRE_TAG, type: 'presence', ref: asked.store.ref, body: { kind: 'result', seq: asked.seq, value: asked.sum } });
  }

  private channelStores(channel: string): Store[] {
    return [...this.stores.values()].flatMap((refs) => [...refs.values()]).filter((store) => store.channel === channel);
  }
}
