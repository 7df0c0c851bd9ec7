import { TransportError } from './errors.ts';
import { CLUSTER_DISCONNECT_TIMEOUT_MS } from './cluster-presence.ts';
import type { PresenceNotice, PresenceRequest } from './cluster-wire.ts';
import type { DisconnectSelector, Occupancy, PresenceChange, PresenceDelta, PresenceEntry, PresenceHost, PresenceStore } from './presence-types.ts';

/**
 * What a worker's presence store needs of its cluster transport: a way to the primary.
 * @example
 * ```ts
 * const store = new ClusterPresenceStore({ joined: () => joinedPromise, send: (seq, body) => hub.presence(ref, seq, body), timeoutMs: 2000 });
 * ```
 */
export interface ClusterPresenceLink {
  /** Resolves once the transport has joined the primary (the system may start the store first). */
  joined(): Promise<void>;
  /** Sends a request to the primary's presence table (in order with everything else this transport sends). */
  send(seq: number, body: PresenceRequest): void;
  /** How long an answer may take before the call rejects with `TransportError`. */
  readonly timeoutMs: number;
}

type Value = readonly PresenceChange[] | readonly PresenceEntry[] | Occupancy | number | null;

/**
 * A worker's presence store on `clusterTransport()`: the table lives in the primary (one process,
 * one order: each transition is returned to exactly one store), reached over the IPC channel. A
 * worker that exits has its users leave at once, announced by one surviving worker. See docs/presence.md.
 * @example
 * ```ts
 * const store = clusterTransport().presence(); // what createSystem({ presence }) uses with this transport
 * ```
 */
export class ClusterPresenceStore implements PresenceStore {
  private host: PresenceHost | undefined;
  private seq = 0;
  private stopped = false;
  private readonly pending = new Map<number, { resolve(value: Value): void; reject(error: Error): void; timer: NodeJS.Timeout }>();

  constructor(private readonly link: ClusterPresenceLink) {}

  async start(host: PresenceHost): Promise<void> {
    this.host = host;
    await this.link.joined();
    await this.call({ op: 'start' });
  }

  async apply(deltas: readonly PresenceDelta[]): Promise<readonly PresenceChange[]> {
    const changes = deltas.filter((d) => d.delta !== 0);
    return changes.length === 0 ? [] : ((await this.call({ op: 'apply', deltas: changes })) as readonly PresenceChange[]);
  }

  async list(topic: string): Promise<readonly PresenceEntry[]> {
    return (await this.call({ op: 'list', topic })) as readonly PresenceEntry[];
  }

  async occupancy(topic: string): Promise<Occupancy> {
    return (await this.call({ op: 'occupancy', topic })) as Occupancy;
  }

  async disconnect(selector: DisconnectSelector): Promise<number> {
    if (!this.host) throw new Error('presence store: start() it first (the system does, when presence is on)');
    const here = this.host.disconnect(selector);
    // The primary answers once every other worker counted, or after its own bound: wait a little longer.
    return here + Number(await this.call({ op: 'disconnect', selector }, CLUSTER_DISCONNECT_TIMEOUT_MS + this.link.timeoutMs));
  }

  async stop(): Promise<void> {
    if (this.stopped || !this.host) return;
    // The primary takes this store's entries out; their leaves go to another worker, which announces them.
    await this.call({ op: 'stop' }).catch(() => undefined);
    this.stopped = true;
    for (const [seq, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      this.pending.delete(seq);
      waiting.reject(new TransportError('cluster', 'the transport was stopped before the primary answered'));
    }
  }

  /** What the primary sent this store. */
  receive(notice: PresenceNotice): void {
    if (notice.kind === 'result') {
      const waiting = this.pending.get(notice.seq);
      if (!waiting) return;
      this.pending.delete(notice.seq);
      clearTimeout(waiting.timer);
      waiting.resolve(notice.value);
    } else if (this.stopped || !this.host) {
      if (notice.kind === 'disconnect') this.link.send(0, { op: 'count', request: notice.request, count: 0 });
    } else if (notice.kind === 'reaped') this.host.reaped(notice.changes);
    else this.link.send(0, { op: 'count', request: notice.request, count: this.host.disconnect(notice.selector) });
  }

  private call(body: PresenceRequest, timeoutMs = this.link.timeoutMs): Promise<Value> {
    if (this.stopped) return Promise.reject(new TransportError('cluster', 'the transport is stopped'));
    const seq = (this.seq += 1);
    return new Promise<Value>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new TransportError('cluster', `the cluster primary did not answer a presence ${body.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, { resolve, reject, timer });
      this.link.send(seq, body);
    });
  }
}
