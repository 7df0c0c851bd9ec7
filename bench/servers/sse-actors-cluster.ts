// sse-actors on every core: clusterPrimary() forks BENCH_WORKERS workers that stream on one shared
// port (system.stream, clusterTransport()); the primary's own system publishes, and the primary
// answers the contract's /publish and /stats on a control port of its own: /stats is the sum over
// the primary and every worker (each asked over IPC, each with its own full GC).
//   out: { type: 'listening', port: <control>, streams: <the workers' port> }
// Each worker counts the relayed events it has written to its streams (fanOutDone in /stats).
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { clusterPrimary, clusterTransport, createSystem } from './sse-actors.ts';
import { KEEP_ALIVE_MS, OPEN_COMMENT, TOPICS, fanOutDoneFor, parseQuery, payloads, readBody, sendJson, stats, type Stats } from './contract.ts';
import { sumStats } from './sum-stats.ts';

const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);

if (cluster.isPrimary) {
  let streams = 0;
  const listening = new Set<number>();
  let seq = 0;
  const answers = new Map<number, (stats: Stats) => void>();
  const primary = clusterPrimary({
    workers: WORKERS,
    onFork: (worker) =>
      worker.on('message', (message: { type?: string; port?: number; seq?: number; stats?: Stats }) => {
        if (message.type === 'listening') {
          streams = message.port ?? 0;
          listening.add(worker.id);
          if (listening.size === WORKERS) void ready();
        } else if (message.type === 'stats') answers.get(message.seq ?? 0)?.(message.stats as Stats);
      }),
  });
  const system = createSystem({ topics: TOPICS, keepAlive: KEEP_ALIVE_MS, transport: clusterTransport({ publish: { timeoutMs: 30_000, maxPending: 100_000 } }) });
  const ask = (worker: import('node:cluster').Worker, gc: boolean): Promise<Stats> =>
    new Promise((resolve) => {
      const n = (seq += 1);
      answers.set(n, (value) => {
        answers.delete(n);
        resolve(value);
      });
      worker.send({ type: 'stats', seq: n, gc });
    });
  const control = http.createServer((req, res) => {
    const query = parseQuery(req.url);
    if (req.method === 'POST' && query.path === '/publish') {
      void readBody(req).then(async (body) => {
        const taken: Promise<void>[] = [];
        for (const { seq: id, data } of payloads(query.count, body)) taken.push(system.notify({ id, topic: query.topic, data: { data } }));
        await Promise.all(taken);
        sendJson(res, 200, { published: query.count });
      });
    } else if (req.method === 'GET' && query.path === '/stats') {
      const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      void Promise.all(workers.map((w) => ask(w, query.gc))).then((all) => sendJson(res, 200, sumStats([...all, stats(0, query.gc)])));
    } else sendJson(res, 404, { error: 'not found' });
  });
  control.keepAliveTimeout = 120_000;
  const ready = async (): Promise<void> => {
    await system.ready();
    control.listen({ port: 0, host: '127.0.0.1' }, () => process.send?.({ type: 'listening', port: (control.address() as AddressInfo).port, streams }));
  };
  const exit = (): void => void primary.stop().then(() => process.exit(0));
  process.on('message', (message: { type?: string }) => void (message.type === 'exit' && exit()));
  process.on('disconnect', exit);
} else {
  const system = createSystem({ topics: TOPICS, keepAlive: KEEP_ALIVE_MS, transport: clusterTransport() });
  await system.ready();
  const server = http.createServer((req, res) => {
    const query = parseQuery(req.url);
    if (req.method === 'GET' && query.path === '/sse') {
      system.stream(req, res, [query.topic], { data: [], comment: OPEN_COMMENT });
    } else sendJson(res, 404, { error: 'not found' });
  });
  // Added after the transport's own listener (system.ready() above): a relayed event has been handed
  // to this worker's streams by the time this runs, and their writes go out before its setImmediate.
  process.on('message', (message: { type?: string; seq?: number; gc?: boolean; message?: { text?: string } }) => {
    if (message.type === 'stats') process.send?.({ type: 'stats', seq: message.seq, stats: stats(system.connectionCount, message.gc !== false) });
    else if (message.type === 'deliver') fanOutDoneFor(message.message?.text ?? '');
  });
  process.on('SIGTERM', () => process.exit(0));
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port }));
}
