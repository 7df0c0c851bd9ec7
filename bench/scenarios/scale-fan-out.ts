// One event to every stream, timed on the server side: the load client is stopped (SIGSTOP) while
// the fleet writes the event, so on a machine with fewer cores than the layout's processes plus a
// client, the time is the servers' alone. The event waits in the streams' socket buffers meanwhile;
// once the client runs again it must count every stream's copy, or the measurement fails.
import http from 'node:http';
import { config } from '../config.ts';
import { startFleet, type Fleet } from '../lib/fleet.ts';
import { LoadClient } from '../lib/processes.ts';
import { Server, waitForConnections } from '../lib/server.ts';
import type { Stats } from '../servers/contract.ts';
import { TARGETS, type Target } from '../targets.ts';
import { SSE_PATH, TOPIC } from './types.ts';

/** POST /publish (one event) from this process, so that the stopped client need not send it. */
function publish(port: number, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/publish?topic=${TOPIC}&count=1`, method: 'POST', agent: false, timeout: 60_000, headers: { 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`publish answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('publish timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One event published to each of `ports` with the client stopped; waits until `written(before,
 * after)` holds for two readings of `read` (every process that holds streams wrote it), then lets
 * the client run and waits until it has counted `copies` more events. Returns the last reading.
 */
async function stoppedFanOut<T>(client: LoadClient, ports: readonly number[], read: () => Promise<T>, written: (before: T, after: T) => boolean, copies: (before: T) => number, body: string): Promise<T> {
  const { delivered } = await client.send<{ delivered: number }>({ type: 'count' }, 10_000);
  const before = await read();
  let after = before;
  client.signal('SIGSTOP');
  try {
    await Promise.all(ports.map((port) => publish(port, body)));
    const deadline = performance.now() + 60_000;
    while (!written(before, after)) {
      if (performance.now() > deadline) throw new Error('server-side fan-out: the event was not written to every stream within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = await read();
    }
  } finally {
    client.signal('SIGCONT');
  }
  const expected = copies(before);
  const caught = await client.send<{ complete: boolean; delivered: number }>({ type: 'await', delivered: delivered + expected, timeoutMs: 60_000 }, 70_000);
  if (!caught.complete) throw new Error(`server-side fan-out: ${caught.delivered - delivered} of ${expected} streams got the event`);
  return after;
}

/**
 * Publishes one event with the client stopped and returns the time, ms, from its publish (the
 * payload's timestamp, taken on the publishing process) until the last of the fleet's `counting`
 * processes had written it to every stream it holds (bench/servers/contract.ts: fanOutDone).
 */
export async function serverFanOut(fleet: Fleet, client: LoadClient, counting: number, body: string): Promise<number> {
  const written = (before: Stats, after: Stats): boolean => after.fanOuts >= before.fanOuts + counting;
  const after = await stoppedFanOut(client, [fleet.publishPort], () => fleet.stats(false), written, (before) => before.connections, body);
  return after.fanOutDoneAt - after.fanOutFrom;
}

/** What the machine gives N processes at once: the cluster's target needs N cores that work in parallel. */
export interface ParallelFloor {
  processes: number;
  /** Streams each process holds (the cluster's top level ÷ N). */
  streamsEach: number;
  /** Events of each kind (alone and all at once, taken in turn). */
  events: number;
  /** One event to one process's streams while the others idle, median ms. */
  aloneMs: number;
  /** One event to every process's streams at once, from the first publish to the last write, median ms. */
  parallelMs: number;
  /** One event to a cluster of N workers holding N × `streamsEach` streams, taken in the same turns, median ms. */
  clusterMs?: number;
  /** Why the cluster's turn could not be measured. */
  clusterError?: string;
}

/**
 * N independent `system.stream` processes (memory transport, nothing between them), each pinned to
 * a core of its own and holding `streamsEach` streams, and a cluster of N workers holding N times
 * as many, with the load clients stopped. Events go to the first process alone, to all N at once,
 * and to the cluster, in turn, so all three are measured in the same minutes: all at once ÷ alone is
 * how far this machine is from N cores' worth of fan-out before any transport (shared caches, memory
 * bandwidth, the kernel's loopback, the hypervisor), and cluster ÷ alone is the cluster's target
 * taken pairwise. The cluster's streams are held by a second client (one process's descriptors
 * would not hold both sets).
 */
export async function parallelFloor(client: LoadClient, processes: number, cores: number, streamsEach: number, events: number, sources: number, sourceOffset: number, body: string): Promise<ParallelFloor> {
  const target = TARGETS.find((t) => t.id === 'actors-stream') as Target;
  const servers: Server[] = [];
  let fleet: Fleet | undefined;
  let second: LoadClient | undefined;
  let cluster: { fleet: Fleet; client: LoadClient } | undefined;
  let clusterError: string | undefined;
  try {
    for (let n = 0; n < processes; n++) servers.push(await Server.start(target, [], n % cores));
    for (const [n, server] of servers.entries()) {
      await openOn(client, server.port, streamsEach, sources, sourceOffset + n * sources);
      await server.waitForConnections(streamsEach, 60_000);
    }
    try {
      // Each is kept as soon as it exists, so that `finally` stops whatever started.
      fleet = await startFleet('cluster', processes, cores, []);
      second = await LoadClient.start(1 % cores);
      const started = fleet;
      await openOn(second, started.ports[0] as number, processes * streamsEach, processes * sources, sourceOffset + processes * sources);
      await waitForConnections((gc) => started.stats(gc), processes * streamsEach, 60_000, 'parallel floor: cluster');
      cluster = { fleet: started, client: second };
    } catch (error) {
      clusterError = error instanceof Error ? error.message : String(error);
    }
    const alone: number[] = [];
    const together: number[] = [];
    const clustered: number[] = [];
    // The first of each kind warms up and is not counted.
    for (let e = 0; e <= events; e++) {
      for (const group of [servers.slice(0, 1), servers]) {
        const ms = await fanOutOver(group, client, body);
        if (e > 0) (group.length === 1 ? alone : together).push(ms);
      }
      if (cluster && clusterError === undefined) {
        try {
          const ms = await serverFanOut(cluster.fleet, cluster.client, processes, body);
          if (e > 0) clustered.push(ms);
        } catch (error) {
          clusterError = error instanceof Error ? error.message : String(error);
        }
      }
    }
    const floor: ParallelFloor = { processes, streamsEach, events, aloneMs: median(alone), parallelMs: median(together) };
    return clusterError === undefined && clustered.length > 0 ? { ...floor, clusterMs: median(clustered) } : { ...floor, clusterError: clusterError ?? 'not measured' };
  } finally {
    await client.send({ type: 'close' }, 30_000).catch(() => undefined);
    if (second) {
      await second.send({ type: 'close' }, 30_000).catch(() => undefined);
      await second.stop();
    }
    await fleet?.stop();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** Opens `count` streams on `port` from `sources` addresses starting at `sourceOffset`; throws on any failure, naming `what`. */
export async function openOn(client: LoadClient, port: number, count: number, sources: number, sourceOffset: number, what = 'parallel floor'): Promise<void> {
  const r = await client.send<{ failures: string[] }>({ type: 'open', port, path: SSE_PATH, count, concurrency: config.openConcurrency, timeoutMs: 60_000, sources, sourceOffset }, 70_000);
  if (r.failures.length > 0) throw new Error(`${what}: ${r.failures.slice(0, 3).join('; ')}`);
}

/** One event published to each of `group` at once, the client stopped: ms from the first publish to the last process's last write. */
async function fanOutOver(group: readonly Server[], client: LoadClient, body: string): Promise<number> {
  const read = (): Promise<Stats[]> => Promise.all(group.map((s) => s.stats(false)));
  const written = (before: Stats[], after: Stats[]): boolean => after.every((a, k) => a.fanOuts > (before[k] as Stats).fanOuts);
  const copies = (before: Stats[]): number => before.reduce((n, s) => n + s.connections, 0);
  const after = await stoppedFanOut(client, group.map((s) => s.port), read, written, copies, body);
  return Math.max(...after.map((a) => a.fanOutDoneAt)) - Math.min(...after.map((a) => a.fanOutFrom));
}

/** The middle value (the upper of the two middle ones for an even count); NaN for none. */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
