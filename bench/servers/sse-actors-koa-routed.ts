// sse-actors through Koa as a real app mounts it: a route middleware runs before sse() (it matches the
// path and puts what it parsed on ctx.state, as @koa/router does), then the route handler calls ctx.sse.
import http from 'node:http';
import Koa from 'koa';
import { createSystem, sse } from './sse-actors.ts';
import { KEEP_ALIVE_MS, TOPICS, parseQuery, serve, type Query } from './contract.ts';
import { route } from './koa-route.ts';

const system = createSystem({ topics: TOPICS, keepAlive: KEEP_ALIVE_MS });

const app = new Koa();
app.use(async (ctx, next) => {
  ctx.state.query = parseQuery(ctx.url);
  await next();
});
app.use(sse(system));
app.use((ctx) => route(system, ctx, ctx.state.query as Query));

serve(http.createServer(app.callback()));
