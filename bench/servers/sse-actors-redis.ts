// sse-actors on system.stream with the transport named by BENCH_TRANSPORT (`memory` or `redis`):
// the same server either way, so bench/redis.ts compares the transports alone.
//   BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_REDIS_PREFIX (a bench run's own), BENCH_NODE
import http from 'node:http';
import { createSystem } from './sse-actors.ts';
import { redisTransport } from '../../src/index.ts';
import { KEEP_ALIVE_MS, OPEN_COMMENT, TOPICS, fanOutDoneFor, parseQuery, payloads, readBody, sendJson, serve, stats } from './contract.ts';

const redis = process.env.BENCH_TRANSPORT === 'redis';
// A long publish timeout: the bench measures delivery on a shared 2-core machine, where two nodes
// share the server core; the 2 s default would turn a CPU-starved burst into refusals.
const transport = redis ? redisTransport({ url: process.env.BENCH_REDIS_URL, prefix: process.env.BENCH_REDIS_PREFIX, publish: { concurrency: 64, maxQueued: 10_000, timeoutMs: 30_000 } }) : undefined;
if (transport) {
  // Each node counts the events it has written to its streams (fanOutDone in /stats), as a cluster
  // worker does: the system's own delivery runs first, then the count, which is taken at the next
  // setImmediate, after the coalesced writes. Every node's events come through its subscriber,
  // the publishing node's too.
  const start = transport.start.bind(transport);
  transport.start = (host) =>
    start({
      ...host,
      deliver: (message) => {
        host.deliver(message);
        fanOutDoneFor(message.text);
      },
    });
}
const system = createSystem({ topics: TOPICS, keepAlive: KEEP_ALIVE_MS, node: process.env.BENCH_NODE, ...(transport ? { transport } : {}) });
await system.ready();
// Ids per node: two publishing nodes must not reuse each other's ids on one topic.
const node = process.env.BENCH_NODE ?? 'n';

const server = http.createServer((req, res) => {
  const query = parseQuery(req.url);
  if (req.method === 'GET' && query.path === '/sse') {
    system.stream(req, res, [query.topic], { data: [], comment: OPEN_COMMENT });
  } else if (req.method === 'POST' && query.path === '/publish') {
    void readBody(req).then(async (body) => {
      const taken: Array<void | Promise<void>> = [];
      for (const { seq, data } of payloads(query.count, body)) taken.push(system.notify({ id: `${node}-${seq}`, topic: query.topic, data: { data } }));
      try {
        await Promise.all(taken); // with Redis: answered once Redis has every event
        sendJson(res, 200, { published: query.count });
      } catch (error) {
        console.error('[bench server] publish failed:', error);
        sendJson(res, 503, { error: String(error) });
      }
    });
  } else if (req.method === 'GET' && query.path === '/stats') {
    sendJson(res, 200, { ...stats(system.connectionCount, query.gc), transport: system.snapshot().transport });
  } else {
    sendJson(res, 404, { error: 'not found' });
  }
});

serve(server);
