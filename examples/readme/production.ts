import http from 'node:http';
import Koa from 'koa';
import { createSystem, sse } from 'sse-actors';

export const system = createSystem({
  topics: ['orders.eu', 'orders.us'],
  mailbox: { limit: 1024, overflow: 'close' }, // a client 1,024 frames behind is ended; it reconnects and replays
  maxConnections: 10_000, // the 10,001st: busy (EventSource), else 503 + Retry-After
  maxLifetimeMs: 30 * 60_000, // streams end after ~30 min (minus jitter) and reconnect: spreads load after deploys
  retry: 2000, // reconnect delay hint, also the base of the hint sent when the server ends a stream
});

export const app = new Koa();
app.use(
  sse(system, {
    // Runs before the stream opens, with the topics the request's patterns expanded to.
    // Only true opens the stream; anything else → 403; a throw or rejection → 500 (reported on app.on('error'), never sent to the client).
    authorize: async (ctx, topics) => topics.every((topic) => topic === `orders.${ctx.get('x-region')}`),
  }),
);
app.use(async (ctx) => {
  if (ctx.path === '/healthz') {
    ctx.body = { status: system.stopped ? 'stopping' : 'ok', streams: system.connectionCount }; // counted, not walked: fine on every probe
    return;
  }
  if (ctx.query.unsubscribe) {
    ctx.status = 204; // tells the browser's EventSource to stop reconnecting
    return;
  }
  await ctx.sse(String(ctx.query.topics ?? 'orders.*').split(','));
});

export const server = http.createServer(app.callback());

/** On SIGTERM: end every stream (flushing what is queued), then let the HTTP server close. */
export async function shutdown(): Promise<void> {
  await system.stop({ timeoutMs: 5000 }); // new streams get a busy answer (EventSource) or 503 from here on
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
process.once('SIGTERM', () => void shutdown().then(() => process.exit(0)));
