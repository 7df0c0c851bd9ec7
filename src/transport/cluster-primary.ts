import cluster, { type Worker } from 'node:cluster';
import { ClusterSetupError } from './errors.ts';
import { Hub } from './cluster-hub.ts';
import { PresenceTable } from './cluster-presence.ts';
import { ChannelLog, WIRE_TAG, isWire, type ToPrimary, type ToWorker } from './cluster-wire.ts';

/**
 * Options of `clusterPrimary()`.
 * @example
 * ```ts
 * const primary = clusterPrimary({ workers: os.availableParallelism(), respawn: { maxRestarts: 10, withinMs: 60_000 } });
 * ```
 */
export interface ClusterPrimaryOptions {
  /**
   * Workers to fork now (`cluster.fork()`, with `cluster.setupPrimary()`'s settings). Each one that
   * exits without being asked to (a crash, a kill) is replaced. 0: fork them yourself; they are
   * relayed all the same, but not replaced. @default 0
   */
  workers?: number;
  /** Replacement intensity, as a supervisor's: past `maxRestarts` within `withinMs`, no more replacements (logged once). @default { maxRestarts: 5, withinMs: 10000 } */
  respawn?: { maxRestarts?: number; withinMs?: number };
  /** Each worker this primary forks, at start and as a replacement (to watch its messages, say). */
  onFork?(worker: Worker): void;
}

/**
 * What the primary reports.
 * @example
 * ```ts
 * const { workers, replaced, gaveUp } = primary.status();
 * ```
 */
export interface ClusterPrimaryStatus {
  /** Workers on the relay (forked here or not) that have a system on some channel. */
  readonly workers: number;
  /** Workers replaced after an unasked exit. */
  readonly replaced: number;
  /** True once replacements stopped (the respawn intensity was exceeded). */
  readonly gaveUp: boolean;
  /** Per channel: events the primary keeps for restores, and the processes on it. */
  readonly channels: ReadonlyArray<{ readonly channel: string; readonly logged: number; readonly members: number }>;
}

/**
 * The relay: `clusterPrimary()`'s handle.
 * @example
 * ```ts
 * const primary = clusterPrimary({ workers: 2 });
 * process.on('SIGTERM', () => void primary.stop());
 * ```
 */
export interface ClusterPrimary {
  status(): ClusterPrimaryStatus;
  /** Stops replacing workers and sends SIGTERM to the ones it forked (after disconnecting them); resolves when they have exited. Idempotent. */
  stop(): Promise<void>;
}

/** Where the relay sends: a worker's IPC channel, or the primary's own systems. */
export interface Port {
  send(message: ToWorker): void;
}

interface Channel {
  readonly log: ChannelLog;
  /** Each process on the channel, with how many of its systems joined. */
  readonly ports: Map<Port, number>;
}

/** Sequences every publish of a channel (one order for every worker) and relays it to each process on it once. */
export class Relay {
  private readonly channels = new Map<string, Channel>();
  private readonly presence = new PresenceTable();

  receive(from: Port, message: ToPrimary): void {
    if (message.type === 'presence') return this.presence.receive(from, message.channel, message.ref, message.seq, message.body);
    let channel = this.channels.get(message.channel);
    if (!channel) this.channels.set(message.channel, (channel = { log: new ChannelLog(), ports: new Map() }));
    if (message.type === 'join') {
      channel.log.widen(message.history);
      channel.ports.set(from, (channel.ports.get(from) ?? 0) + 1);
      // Sent on the same ordered channel as the deliveries: what is not in this log comes after it.
      from.send({ tag: WIRE_TAG, type: 'joined', ref: message.ref, log: channel.log.restore(message.history, Date.now()) });
    } else if (message.type === 'leave') {
      this.presence.drop(from, message.ref);
      const left = (channel.ports.get(from) ?? 1) - 1;
      if (left > 0) channel.ports.set(from, left);
      else channel.ports.delete(from);
    } else if (Date.now() > message.deadline) {
      // The publisher has given up on it (notify rejected): adding it now would deliver a rejected event.
      from.send({ tag: WIRE_TAG, type: 'published', ref: message.ref, seq: message.seq, error: 'the primary took the event after publish.timeoutMs; it was not added' });
    } else {
      channel.log.append(message.message);
      const deliver: ToWorker = { tag: WIRE_TAG, type: 'deliver', channel: message.channel, message: message.message };
      for (const port of channel.ports.keys()) port.send(deliver);
      from.send({ tag: WIRE_TAG, type: 'published', ref: message.ref, seq: message.seq });
    }
  }

  /** A process went away: it is on no channel any more (its channels' logs stay, for its replacement). */
  drop(port: Port): void {
    this.presence.drop(port);
    for (const channel of this.channels.values()) channel.ports.delete(port);
  }

  channelStatus(): ClusterPrimaryStatus['channels'] {
    return [...this.channels].map(([channel, { log, ports }]) => ({ channel, logged: log.length, members: ports.size }));
  }

  members(): Set<Port> {
    return new Set([...this.channels.values()].flatMap((channel) => [...channel.ports.keys()]));
  }
}

/** The primary's relay, and the hub of the systems that run in the primary itself (made on first use). */
class Primary {
  readonly relay = new Relay();
  private local: { hub: Hub; port: Port } | undefined;

  hub(): Hub {
    if (this.local) return this.local.hub;
    const { relay } = this;
    // The relay answers the primary's own systems a microtask later, in the order it sent: a
    // system's start and notify never run inside one another.
    const port: Port = { send: (message) => queueMicrotask(() => hub.receive(message)) };
    const hub: Hub = new Hub((message) => relay.receive(port, message));
    this.local = { hub, port };
    return hub;
  }

  isLocal(port: Port): boolean {
    return port === this.local?.port;
  }
}

let current: Primary | undefined;

/** The hub for systems in this process, when it is a primary that called `clusterPrimary()`. */
export function primaryHub(): Hub | undefined {
  return current?.hub();
}

function intensity(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`clusterPrimary(): ${name} must be an integer ≥ 0, got ${String(value)}`);
  return value;
}

/**
 * Makes this process the cluster transport's primary: it sequences every event that any worker (or
 * a system in this process) publishes and relays it to every worker once; it keeps each topic's
 * newest events (as many as the largest `history.size` of the systems that joined), so a worker
 * that starts later, or replaces one that crashed, restores its replay history from it. Call it in
 * the primary before forking (or pass `workers`). Throws `ClusterSetupError` in a worker or when
 * this process already has a primary. See docs/scale-out.md.
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * import os from 'node:os';
 * if (cluster.isPrimary) {
 *   clusterPrimary({ workers: os.availableParallelism() }); // forks, relays, replaces crashed workers
 * } else {
 *   const system = createSystem({ topics: ['news'], transport: clusterTransport() });
 *   // … a server on the shared port; system.notify() from any worker reaches every worker.
 * }
 * ```
 */
export function clusterPrimary(options: ClusterPrimaryOptions = {}): ClusterPrimary {
  if (!cluster.isPrimary) throw new ClusterSetupError('clusterPrimary(): this process is a cluster worker; call clusterPrimary() in the primary and clusterTransport() in the workers');
  if (current) throw new ClusterSetupError('clusterPrimary(): this process already is the cluster primary; stop() the first one before calling it again');
  const count = intensity('workers', options.workers ?? 0);
  const maxRestarts = intensity('respawn.maxRestarts', options.respawn?.maxRestarts ?? 5);
  const withinMs = intensity('respawn.withinMs', options.respawn?.withinMs ?? 10_000);
  const primary = new Primary();
  const { relay } = primary;
  const ports = new Map<Worker, Port>();
  const owned = new Set<Worker>();
  const restarts: number[] = [];
  let replaced = 0;
  let gaveUp = false;
  let stopping = false;

  const portOf = (worker: Worker): Port => {
    let port = ports.get(worker);
    if (!port) {
      // A worker that died between our send and its exit event: the message has nowhere to go.
      port = { send: (message) => void (worker.isConnected() && worker.send(message, undefined, undefined, () => undefined)) };
      ports.set(worker, port);
    }
    return port;
  };
  const fork = (): void => {
    const worker = cluster.fork();
    owned.add(worker);
    options.onFork?.(worker);
  };
  const onMessage = (worker: Worker, message: unknown): void => {
    if (isWire<ToPrimary>(message)) relay.receive(portOf(worker), message);
  };
  const onExit = (worker: Worker): void => {
    const port = ports.get(worker);
    if (port) relay.drop(port);
    ports.delete(worker);
    if (!owned.delete(worker) || stopping || worker.exitedAfterDisconnect || gaveUp) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && (restarts[0] as number) <= now - withinMs) restarts.shift();
    if (restarts.length > maxRestarts) {
      gaveUp = true;
      console.error(`[sse-actors] cluster primary: ${restarts.length} workers exited within ${withinMs} ms; no more replacements (respawn.maxRestarts ${maxRestarts})`);
      return;
    }
    replaced += 1;
    fork();
  };
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  current = primary;
  for (let n = 0; n < count; n++) fork();

  return {
    status: () => ({ workers: [...relay.members()].filter((port) => !primary.isLocal(port)).length, replaced, gaveUp, channels: relay.channelStatus() }),
    async stop() {
      if (stopping) return;
      stopping = true;
      // SIGTERM after disconnecting (worker.kill()): the application's handler drains its system;
      // a plain disconnect would wait for every open stream to end first.
      const exited = [...owned].filter((worker) => !worker.isDead()).map((worker) => new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.kill();
      }));
      await Promise.all(exited);
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
      current = undefined;
    },
  };
}
