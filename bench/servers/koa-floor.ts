// The floor of an SSE stream through Koa: the raw node:http loop (bench/servers/raw-http.ts) inside
// one Koa middleware that takes the response over (`ctx.respond = false`) and writes to `ctx.res`.
// What this costs beyond raw node:http is Koa's own per-request work (its context, the middleware
// chain, on-finished's listeners); what sse-actors through Koa costs beyond this is ours.
import http from 'node:http';
import Koa from 'koa';
import { KEEP_ALIVE_MS, OPEN_COMMENT, STREAM_HEADERS, fanOutDone, parseQuery, payloads, readBody, serve, stats } from './contract.ts';

const topics = new Map<string, Set<http.ServerResponse>>();
let connections = 0;

function subscribersOf(topic: string): Set<http.ServerResponse> {
  let set = topics.get(topic);
  if (!set) topics.set(topic, (set = new Set()));
  return set;
}

const app = new Koa();
app.use(async (ctx) => {
  const query = parseQuery(ctx.url);
  if (ctx.method === 'GET' && query.path === '/sse') {
    const set = subscribersOf(query.topic);
    const res = ctx.res;
    ctx.respond = false;
    res.writeHead(200, STREAM_HEADERS);
    res.write(`: ${OPEN_COMMENT}\n\n`);
    set.add(res);
    connections++;
    res.on('close', () => {
      set.delete(res);
      connections--;
    });
  } else if (ctx.method === 'POST' && query.path === '/publish') {
    const body = await readBody(ctx.req);
    const set = topics.get(query.topic);
    for (const { seq, data } of payloads(query.count, body)) {
      const bytes = Buffer.from(`id: ${seq}\ndata: ${data}\n\n`);
      if (set) for (const sub of set) sub.write(bytes);
    }
    fanOutDone();
    ctx.body = { published: query.count };
  } else if (ctx.method === 'GET' && query.path === '/stats') {
    ctx.body = stats(connections, query.gc);
  }
});

const keepAlive = Buffer.from(': keep-alive\n\n');
setInterval(() => {
  for (const set of topics.values()) for (const sub of set) sub.write(keepAlive);
}, KEEP_ALIVE_MS).unref();

serve(http.createServer(app.callback()));
