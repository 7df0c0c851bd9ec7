// The HTTP contract every benchmark server speaks, and the helpers its five implementations share.
// Each target is its own script, started by bench/run.ts as a child process:
//   GET  /sse?topic=t                 an event stream on topic t; the first bytes are a comment
//   POST /publish?topic=t[&count=N]   publishes N (default 1) events in one synchronous loop; the
//                                     body is appended to each payload, which starts with
//                                     `ts=<ms since the epoch, µs precision> seq=<n>` (for latency)
//   GET  /stats[?gc=0]                { connections, heapUsed, rss, external, arrayBuffers, cpuUser,
//                                     cpuSystem } (cpu in µs); a full GC first unless gc=0
// The port goes to the parent over IPC ({ type: 'listening', port }); { type: 'exit' } ends the
// process with process.exit, so that --cpu-prof can write its profile.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';

// tsx turns on source-mapped stack traces; every client disconnect creates an ECONNRESET error
// in node:http, and mapping its stack made churn up to twice as slow for every target. Servers in
// production run compiled JavaScript without them, and so do these.
process.setSourceMapsEnabled(false);

/** Keep-alive interval for every target, so none pays for more timer ticks than another. */
export const KEEP_ALIVE_MS = Number(process.env.BENCH_KEEPALIVE_MS ?? 15_000);
/** The topics the sse-actors servers register (the others accept any). */
export const TOPICS = ['t'];
/** What every stream writes first, so a client knows it is subscribed once bytes arrive. */
export const OPEN_COMMENT = 'ok';

export interface Stats {
  connections: number;
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  cpuUser: number;
  cpuSystem: number;
  /** Time spent in garbage collection so far, µs (the forced collections of `gc=1` excluded). */
  gcUs: number;
  /** Events this process has handed to the kernel for every stream it holds (see {@link fanOutDone}). */
  fanOuts: number;
  /** The last of them: when it was published (its payload's `ts`) and when this process had written it to its last stream, ms since the epoch. */
  fanOutFrom: number;
  fanOutDoneAt: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

// GC pauses as they happen: what part of a level's CPU per connect or per delivery was collection.
// Entries arrive asynchronously: forced ones are told apart by when they started.
let gcUs = 0;
const forced: Array<[number, number]> = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!forced.some(([from, to]) => entry.startTime >= from && entry.startTime <= to)) gcUs += entry.duration * 1000;
  }
}).observe({ entryTypes: ['gc'] });

/** Memory after a full GC (unless `withGc` is false) and CPU time so far. */
export function stats(connections: number, withGc: boolean): Stats {
  if (withGc) {
    if (!gc) throw new Error('start the server with --expose-gc');
    // Several passes: weak references and finalizers free more on the second and later ones.
    const from = performance.now();
    for (let i = 0; i < 4; i++) gc();
    forced.push([from, performance.now()]);
    if (forced.length > 16) forced.shift();
  }
  const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
  const { user, system } = process.cpuUsage();
  return { connections, heapUsed, rss, external, arrayBuffers, cpuUser: user, cpuSystem: system, gcUs, ...fanOut };
}

const fanOut = { fanOuts: 0, fanOutFrom: 0, fanOutDoneAt: 0 };

/**
 * Call right after an event was handed on to every stream of this process (the raw loop's writes,
 * or `system.notify`, whose coalesced writes go out at the next `setImmediate`): at the
 * `setImmediate` after that, every write of the event has been made, so this process's part of the
 * fan-out is over. `payload` is the event's data (`ts=<ms> …`): by default the last one
 * {@link payloads} made here. The scale scenario reads these from /stats while the load client is
 * stopped (SIGSTOP), so that the time is the server's alone on a machine with too few cores for both.
 */
export function fanOutDone(payload = lastPayload): void {
  const from = Number(/^ts=([\d.]+)/.exec(payload)?.[1]);
  setImmediate(() => {
    fanOut.fanOuts += 1;
    fanOut.fanOutFrom = from;
    fanOut.fanOutDoneAt = performance.timeOrigin + performance.now();
  });
}

/**
 * {@link fanOutDone} for an event that reached this process as an encoded frame (a cluster worker's
 * relayed message, a Redis node's delivery): its payload is read from the frame's `data:` line.
 * Frames without a bench payload (none are sent in a run) are not counted.
 */
export function fanOutDoneFor(frame: string): void {
  const payload = /(?:^|\n)data: (ts=[\d.]+)/.exec(frame)?.[1];
  if (payload) fanOutDone(payload);
}

/** The event payloads of one publish: a fresh timestamp per event, then the request body. */
export function* payloads(count: number, body: string): Generator<{ seq: number; data: string }> {
  for (let i = 0; i < count; i++) {
    const seq = nextSeq++;
    lastPayload = `ts=${(performance.timeOrigin + performance.now()).toFixed(3)} seq=${seq} ${body}`;
    yield { seq, data: lastPayload };
  }
}
let lastPayload = '';
let nextSeq = 0;

export interface Query {
  path: string;
  topic: string;
  count: number;
  gc: boolean;
}

/** Parses the few query parameters of the contract without allocating a URL object. */
export function parseQuery(url: string | undefined): Query {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const count = Number(params.get('count') ?? 1);
  return {
    path,
    topic: params.get('topic') ?? 't',
    count: Number.isSafeInteger(count) && count > 0 ? count : 1,
    gc: params.get('gc') !== '0',
  };
}

/** Reads a (small) request body as text. */
export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** The headers every target sends on a stream (the ones sse-actors sends on HTTP/1.1). */
export const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
  Connection: 'keep-alive',
} as const;

/** Listens on an ephemeral loopback port, tells the parent, and exits on its request. */
export function serve(server: http.Server, onExit: () => void = () => {}): void {
  // Longer than any pause of the publisher: with node's 5 s default, a keep-alive POST socket
  // could be closed by the server just as the client reuses it (ECONNRESET, 'socket hang up').
  server.keepAliveTimeout = 120_000;
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => {
    const { port } = server.address() as AddressInfo;
    if (process.send) process.send({ type: 'listening', port });
    else console.log(`listening on http://127.0.0.1:${port}`);
  });
  process.on('message', (message: { type?: string }) => {
    if (message.type !== 'exit') return;
    onExit();
    process.exit(0);
  });
  // The parent died: do not linger with thousands of sockets open.
  process.on('disconnect', () => process.exit(0));
}
