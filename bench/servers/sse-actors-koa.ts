// sse-actors through its Koa middleware: app.use(sse(system)), then ctx.sse(topics, initial).
import http from 'node:http';
import Koa from 'koa';
import { createSystem, sse } from './sse-actors.ts';
import { KEEP_ALIVE_MS, TOPICS, parseQuery, serve } from './contract.ts';
import { route } from './koa-route.ts';

const system = createSystem({ topics: TOPICS, keepAlive: KEEP_ALIVE_MS });

const app = new Koa();
app.use(sse(system));
app.use((ctx) => route(system, ctx, parseQuery(ctx.url)));

serve(http.createServer(app.callback()));
