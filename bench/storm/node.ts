// One node of the storm scenario (bench/storm.ts): system.stream on node:http, Redis transport,
// driven over IPC. env: STORM_PREFIX, STORM_NODE, STORM_RETRY_MS, STORM_JITTER_MS.
//   in:  { type: 'listen', port } → { type: 'listening', port }
//        { type: 'stop' }  → system.stop(); keeps listening (answers busy) → { type: 'stopped' }
//        { type: 'exit' }  → closes the server and exits
//        { type: 'stats' } → { type: 'stats', connections, cpuUs, acceptsPer100ms, busy }
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSystem, redisTransport } from '../../src/index.ts';

const retry = Number(process.env.STORM_RETRY_MS ?? 1000);
const system = createSystem({
  topics: ['t'],
  transport: redisTransport({ url: 'redis://127.0.0.1:6379', prefix: process.env.STORM_PREFIX, blockMs: 200 }),
  node: process.env.STORM_NODE,
  keepAlive: 15_000,
  retry,
  busyRetry: { baseMs: retry, jitterMs: Number(process.env.STORM_JITTER_MS ?? 4000) },
  history: { size: 100_000, ttlMs: 0 },
});

/** Streams accepted per 100 ms bucket, from the first accept on. */
const buckets: number[] = [];
let firstAccept = 0;
const server = http.createServer((req, res) => {
  if (system.stream(req, res, 't') === null) return; // busy (or HEAD)
  const now = performance.now();
  if (firstAccept === 0) firstAccept = now;
  const bucket = Math.floor((now - firstAccept) / 100);
  buckets[bucket] = (buckets[bucket] ?? 0) + 1;
});
server.maxHeadersCount = 20;
await system.ready();
process.send?.({ type: 'ready' });

process.on('message', (message: { type: string; port?: number }) => {
  if (message.type === 'listen') server.listen({ port: message.port, host: '127.0.0.1', backlog: 4096 }, () => process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port }));
  if (message.type === 'stop') void system.stop({ timeoutMs: 5000 }).then(() => process.send?.({ type: 'stopped' }));
  if (message.type === 'exit') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
  if (message.type === 'stats') {
    const cpu = process.cpuUsage();
    const { connections, counters } = system.snapshot();
    process.send?.({ type: 'stats', connections: connections.length, cpuUs: cpu.user + cpu.system, acceptsPer100ms: Array.from(buckets, (n) => n ?? 0), busy: counters.busyStopping + counters.busyFull });
  }
});
process.on('disconnect', () => process.exit(0));
