import http from 'node:http';
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import { createSystem, redisTransport, sse } from 'sse-actors';

// Every node runs this same code behind a load balancer; a browser may reconnect to any of them.
export const system = createSystem({
  topics: ['orders.eu', 'orders.us'],
  node: process.env.NODE_NAME, // shown in snapshot(), logs and metrics (default: host:pid)
  transport: redisTransport({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', // or cluster: { rootNodes: ['redis://10.0.0.1:7000'] }
    prefix: process.env.SSE_PREFIX ?? 'shop:', // one per system sharing the Redis
    publish: { concurrency: 64, maxQueued: 10_000, timeoutMs: 2000 },
  }),
});

export const app = new Koa();
app.use(sse(system));
app.use(async (ctx) => {
  if (ctx.method === 'POST') {
    // Resolves once Redis has the event: every client of orders.eu, on every node, gets it once.
    // Rejects with TransportError (answered 503) when Redis cannot take it within timeoutMs.
    await system.notify({ topic: 'orders.eu', id: randomUUID(), data: { data: String(ctx.query.order) } });
    ctx.status = 202;
    return;
  }
  await ctx.sse(['orders.eu']); // with Last-Event-ID from any node: exactly what was missed
});

export const server = http.createServer(app.callback());
await system.ready(); // connected, and this node's replay history restored from Redis
