import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createSystem, sse } from '../../src/index.ts';
import { SseClient, get } from '../helpers/sse-client.ts';

async function listen(app: Koa): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test('ctx.sse: absent before sse() runs, works destructured, each sse() streams from its own system, and a route may replace it', async (t) => {
  const news = createSystem({ topics: ['news'], keepAlive: 0 });
  const rates = createSystem({ topics: ['rates'], keepAlive: 0 });
  const app = new Koa();
  app.silent = true;
  const seen: Record<string, string> = {};
  app.use(async (ctx, next) => {
    seen[ctx.path] = typeof ctx.sse; // read before any sse() middleware ran for this request
    await next();
  });
  app.use(async (ctx, next) => (ctx.path === '/rates' ? next() : sse(news)(ctx, next)));
  app.use(async (ctx, next) => (ctx.path === '/rates' ? sse(rates)(ctx, next) : next()));
  app.use(async (ctx) => {
    if (ctx.path === '/news') {
      const { sse: open } = ctx; // destructured: still bound to this request
      await open('news', { data: 'n' });
    } else if (ctx.path === '/rates') {
      await ctx.sse('rates', { data: 'r' });
    } else if (ctx.path === '/double') {
      ctx.sse = async () => ((ctx.body = 'replaced'), null); // a test double or wrapper: an own property of this request only
      await ctx.sse('news');
    }
  });
  const srv = await listen(app);
  t.teardown(async () => {
    await Promise.all([news.stop({ timeoutMs: 500 }), rates.stop({ timeoutMs: 500 })]);
    await srv.close();
  });
  const a = await SseClient.connect(`${srv.url}/news`);
  const b = await SseClient.connect(`${srv.url}/rates`);
  await Promise.all([a.untilEvents(1), b.untilEvents(1)]);
  t.is(a.raw, 'data: n\n\n');
  t.is(b.raw, 'data: r\n\n');
  t.is(news.connectionCount, 1);
  t.is(rates.connectionCount, 1);
  t.deepEqual(seen, { '/news': 'undefined', '/rates': 'undefined' });
  const replaced = await get(`${srv.url}/double`);
  t.is(replaced.status, 200);
  t.is(replaced.body, 'replaced');
  t.is(news.connectionCount, 1); // the double opened nothing
  // The next request on the same app gets the real ctx.sse again.
  const c = await SseClient.connect(`${srv.url}/news`);
  await c.untilEvents(1);
  t.is(news.connectionCount, 2);
  for (const client of [a, b, c]) client.close();
});
