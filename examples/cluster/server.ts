import cluster from 'node:cluster';
import http from 'node:http';
import os from 'node:os';
import { clusterPrimary, clusterTransport, createSystem } from 'sse-actors';

// One machine, every core: `node --import tsx examples/cluster/server.ts`, then
// `curl -N http://localhost:3000/ticks` (again and again: each answer names its worker).
const port = Number(process.env.PORT ?? 3000);
const topics = ['ticks'];

if (cluster.isPrimary) {
  // Forks one worker per core, relays every event to each worker once, and forks a replacement
  // for a worker that crashes (its history restored from the primary's copy).
  const primary = clusterPrimary({ workers: Number(process.env.WORKERS ?? os.availableParallelism()) });
  // The primary runs a system too, without streams: notify here reaches every stream on every worker.
  const system = createSystem({ topics, transport: clusterTransport() });
  await system.ready();
  let n = 0;
  const timer = setInterval(() => {
    n += 1;
    system.notify({ topic: 'ticks', id: n, data: { data: `tick ${n}` } }).catch((error: unknown) => console.error(error));
  }, Number(process.env.TICK_MS ?? 1000));
  process.once('SIGTERM', () => {
    clearInterval(timer);
    void system.stop().then(() => primary.stop()); // SIGTERM to every worker, then wait for them
  });
} else {
  const system = createSystem({ topics, transport: clusterTransport() });
  await system.ready(); // joined the primary, replay history restored
  const server = http.createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/ticks') return void res.writeHead(404).end();
    try {
      // Last-Event-ID is answered from this worker's history: the same on every worker.
      system.stream(req, res, topics, { data: `worker ${process.pid}` });
    } catch (error) {
      res.writeHead((error as { status?: number }).status ?? 500).end();
    }
  });
  // Every worker listens on the same port: node:cluster hands each connection to one of them.
  server.listen(port, () => {
    const { port: actual } = server.address() as { port: number };
    console.log(`worker ${process.pid} streams on http://localhost:${actual}/ticks`);
  });
  process.once('SIGTERM', () => {
    void system.stop().then(() => {
      server.close();
      process.exit(0);
    });
  });
}
