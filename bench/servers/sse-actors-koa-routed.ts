// sse-actors through Koa as a real app mounts it: a route middleware runs before sse() (it matches the
// path and puts what it parsed on ctx.state, as @koa/router does), then the route handler calls ctx.sse.
import http from 'node:http';
import Koa from 'koa';
import { createSystem, sse } from './sse-actors.ts';
import { KEEP_ALIVE_MS, OPEN_COMMENT, TOPICS, parseQuery, payloads, readBody, serve, stats } from './contract.ts';

const system = createSystem({ topics: TOPICS, keepAlive: KEEP_ALIVE_MS });

const app = new Koa();
app.use(async (ctx, next) => {
  ctx.state.query = parseQuery(ctx.url);
  await next();
});
app.use(sse(system));
app.use(async (ctx) => {
  const query = ctx.state.query as ReturnType<typeof parseQuery>;
  if (ctx.method === 'GET' && query.path === '/sse') {
    ctx.sse([query.topic], { data: [], comment: OPEN_COMMENT });
  } else if (ctx.method === 'POST' && query.path === '/publish') {
    const body = await readBody(ctx.req);
    for (const { seq, data } of payloads(query.count, body)) system.notify({ id: seq, topic: query.topic, data: { data } });
    ctx.body = { published: query.count };
  } else if (ctx.method === 'GET' && query.path === '/stats') {
    ctx.body = stats(system.snapshot().connections.length, query.gc);
  }
});

serve(http.createServer(app.callback()));
