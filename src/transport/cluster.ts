import cluster from 'node:cluster';
import { ClusterSetupError, TransportError } from './errors.ts';
import { ClusterPresenceStore } from './cluster-presence-store.ts';
import { Hub, type Member } from './cluster-hub.ts';
import { primaryHub } from './cluster-primary.ts';
import { isWire, type ToWorker } from './cluster-wire.ts';
import type { PresenceStore } from './presence-types.ts';
import type { Transport, TransportHost, TransportMessage, TransportState, TransportStatus } from './types.ts';

export { clusterPrimary } from './cluster-primary.ts';
export { ClusterSetupError } from './errors.ts';
export type { ClusterPrimary, ClusterPrimaryOptions, ClusterPrimaryStatus } from './cluster-primary.ts';

/**
 * Options of `clusterTransport()`.
 * @example
 * ```ts
 * const transport = clusterTransport({ channel: 'prices', publish: { timeoutMs: 5000 } });
 * ```
 */
export interface ClusterTransportOptions {
  /** Systems on the same channel share their events; systems on different channels never see each other's. @default 'sse-actors' */
  channel?: string;
  publish?: {
    /** From `notify` to the primary having sequenced the event; past it `notify` rejects and the primary refuses the event. @default 2000 */
    timeoutMs?: number;
    /** Publishes waiting for the primary's answer; one more rejects at once with `TransportError`. @default 10000 */
    maxPending?: number;
  };
  /** How long `ready()` waits for the primary's first answer (no `clusterPrimary()` there: it never comes). @default 5000 */
  joinTimeoutMs?: number;
}

/**
 * `notify` on a cluster transport returns a promise: resolved once the primary has sequenced the event.
 * @example
 * ```ts
 * const system = createSystem({ topics: ['news'], transport: clusterTransport() });
 * await system.ready(); // joined: history restored from the primary
 * await system.notify({ id: 1, topic: 'news', data: { data: 'hi' } }); // every worker delivers it
 * ```
 */
export type ClusterTransport = Transport<Promise<void>> & { readonly kind: 'cluster'; presence(): PresenceStore };

/**
 * Defaults of `clusterTransport()`, in one place.
 * @example
 * ```ts
 * const transport = clusterTransport({ publish: { ...DEFAULT_CLUSTER_TRANSPORT.publish, timeoutMs: 5000 } });
 * ```
 */
export const DEFAULT_CLUSTER_TRANSPORT = {
  channel: 'sse-actors',
  publish: { timeoutMs: 2000, maxPending: 10_000 },
  joinTimeoutMs: 5000,
} as const;

// After the timeout, wait this long for the primary's own answer (as the Redis transport does).
const ANSWER_GRACE_MS = 250;

function positive(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`clusterTransport(): ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  return value;
}

let workerHub: { hub: Hub; detach(): void } | undefined;

/** This worker's one line to the primary: the IPC channel `node:cluster` opened. */
function hubOfWorker(): Hub {
  if (workerHub) return workerHub.hub;
  const hub = new Hub((message) => {
    if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
  });
  const onMessage = (message: unknown): void => {
    if (isWire<ToWorker>(message)) hub.receive(message);
  };
  const onDisconnect = (): void => hub.lost();
  process.on('message', onMessage);
  process.on('disconnect', onDisconnect);
  // Listeners on `message` keep the IPC channel (and the worker) alive: gone with the last transport.
  workerHub = { hub, detach: () => (process.off('message', onMessage), process.off('disconnect', onDisconnect)) };
  return hub;
}

function releaseWorkerHub(hub: Hub): void {
  if (workerHub?.hub !== hub || hub.size > 0) return;
  workerHub.detach();
  workerHub = undefined;
}

function hubHere(): Hub {
  if (cluster.isWorker) return hubOfWorker();
  const hub = primaryHub();
  if (hub) return hub;
  throw setupError();
}

function setupError(): ClusterSetupError {
  return new ClusterSetupError('clusterTransport(): this process is neither a node:cluster worker nor a primary that called clusterPrimary(); call clusterPrimary() in the primary first (or use memoryTransport() for one process)');
}

/**
 * A transport over `node:cluster`: every core of one machine, no server to run. Workers publish to
 * the primary (`clusterPrimary()`), which puts every event of a channel in one order and relays it
 * to each worker once, whatever its number of streams; each worker keeps the replay history as on
 * one process, restored from the primary's copy when it starts, so a browser may reconnect to any
 * worker (they share the listening port) and replay exactly what it missed. Works in the primary
 * too (a system there publishes like a worker). See docs/scale-out.md.
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * if (cluster.isPrimary) clusterPrimary({ workers: 2 });
 * else {
 *   const system = createSystem({ topics: ['news'], transport: clusterTransport() });
 *   await system.ready();
 *   http.createServer((req, res) => system.stream(req, res, ['news'])).listen(3000); // shared by the workers
 * }
 * ```
 */
export function clusterTransport(options: ClusterTransportOptions = {}): ClusterTransport {
  const d = DEFAULT_CLUSTER_TRANSPORT;
  const channel = options.channel ?? d.channel;
  if (typeof channel !== 'string' || channel === '') throw new RangeError('clusterTransport(): channel must be a non-empty string');
  const timeoutMs = positive('publish.timeoutMs', options.publish?.timeoutMs ?? d.publish.timeoutMs);
  const maxPending = positive('publish.maxPending', options.publish?.maxPending ?? d.publish.maxPending);
  const joinTimeoutMs = positive('joinTimeoutMs', options.joinTimeoutMs ?? d.joinTimeoutMs);
  if (!cluster.isWorker && !primaryHub()) throw setupError(); // where the transport is made, not later in ready()

  let host: TransportHost | undefined;
  let hub: Hub | undefined;
  let ref = 0;
  let state: TransportState = 'starting';
  let lastError: string | undefined;
  let seq = 0;
  let joining: { resolve(): void; reject(error: TransportError): void; timer: NodeJS.Timeout } | undefined;
  const pending = new Map<number, { resolve(): void; reject(error: TransportError): void; timer: NodeJS.Timeout }>();

  const setState = (next: TransportState, error?: string): void => {
    if (error !== undefined) lastError = error;
    if (next === state || state === 'stopped') return;
    state = next;
    if (next === 'connected') lastError = undefined;
    host?.stateChanged(next, error === undefined ? undefined : new TransportError('cluster', error));
  };
  const settle = (n: number, error?: string): void => {
    const waiting = pending.get(n);
    if (!waiting) return;
    pending.delete(n);
    clearTimeout(waiting.timer);
    if (error === undefined) waiting.resolve();
    else waiting.reject(new TransportError('cluster', error));
  };
  const rejectAll = (error: string): void => {
    for (const n of [...pending.keys()]) settle(n, error);
  };
  let presence: ClusterPresenceStore | undefined;
  // Settles once joined (the presence store may be started before the transport is).
  let markJoined = (): void => undefined;
  let markStopped = (_error: Error): void => undefined;
  const joined = new Promise<void>((resolve, reject) => ((markJoined = resolve), (markStopped = reject)));
  joined.catch(() => undefined);
  const member: Member = {
    channel,
    presence: (notice) => presence?.receive(notice),
    joined(log: readonly TransportMessage[]) {
      if (!joining) return;
      clearTimeout(joining.timer);
      const { resolve } = joining;
      joining = undefined;
      for (const message of log) host?.restore(message);
      setState('connected');
      markJoined();
      resolve();
    },
    deliver(message: TransportMessage) {
      if (state !== 'stopped') host?.deliver(message);
    },
    published: (n, error) => settle(n, error),
    lost() {
      const error = 'the cluster primary is gone (this worker was disconnected)';
      rejectAll(error);
      if (joining) {
        clearTimeout(joining.timer);
        joining.reject(new TransportError('cluster', error));
        joining = undefined;
      }
      setState('stopped', error);
    },
  };

  return {
    kind: 'cluster',
    start(next) {
      if (host) throw new Error('clusterTransport(): this transport already serves a system; create one per createSystem()');
      host = next;
      const started = (hub = hubHere());
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          joining = undefined;
          const error = `no answer from the cluster primary within joinTimeoutMs (${joinTimeoutMs} ms): call clusterPrimary() in the primary before forking`;
          setState('reconnecting', error);
          reject(new TransportError('cluster', error));
        }, joinTimeoutMs);
        joining = { resolve, reject, timer };
        ref = started.join(member, next.history);
      });
    },
    publish(message) {
      if (state === 'stopped' || !hub) return Promise.reject(new TransportError('cluster', state === 'stopped' ? 'the transport is stopped' : 'the transport has not joined the primary yet: await system.ready()'));
      if (pending.size >= maxPending) return Promise.reject(new TransportError('cluster', `${maxPending} publishes wait for the primary (publish.maxPending): it is slower than notify; raise publish.maxPending or slow down`));
      const n = (seq += 1);
      const deadline = Date.now() + timeoutMs;
      const to = hub;
      return new Promise<void>((resolve, reject) => {
        // setImmediate: an answer already read from the IPC channel in this loop turn wins over the timer.
        const timer = setTimeout(() => setImmediate(() => settle(n, `the primary did not take the event within publish.timeoutMs (${timeoutMs} ms); it was not added`)), timeoutMs + ANSWER_GRACE_MS);
        pending.set(n, { resolve, reject, timer });
        to.publish(ref, n, deadline, message);
      });
    },
    status(): TransportStatus {
      // Deliveries are pushed in order: a worker is never behind the newest event it knows of.
      const status = { kind: 'cluster', state, lagMs: 0, pending: pending.size };
      return lastError === undefined || state === 'connected' ? status : { ...status, lastError };
    },
    presence() {
      presence ??= new ClusterPresenceStore({ joined: () => joined, send: (n, body) => hub?.presence(ref, n, body), timeoutMs });
      return presence;
    },
    async stop() {
      if (state === 'stopped') return;
      markStopped(new TransportError('cluster', 'the transport was stopped before it joined the primary'));
      await presence?.stop(); // its entries leave the primary's table while this transport is still on it
      if ((state as TransportState) === 'stopped') return;
      state = 'stopped';
      if (joining) {
        clearTimeout(joining.timer);
        joining.resolve();
        joining = undefined;
      }
      rejectAll('the transport was stopped before the primary took the event');
      if (hub) {
        hub.leave(ref);
        releaseWorkerHub(hub);
      }
    },
  };
}
