// Koa the way SSE is usually hand-rolled on it: ctx.body = a PassThrough per request, the
// PassThroughs in a Set per topic (removed when the request closes), each event encoded once and
// written to every PassThrough; one shared interval writes the keep-alive comment.
import http from 'node:http';
import { PassThrough } from 'node:stream';
import Koa from 'koa';
import { KEEP_ALIVE_MS, OPEN_COMMENT, STREAM_HEADERS, parseQuery, payloads, readBody, serve, stats } from './contract.ts';

const topics = new Map<string, Set<PassThrough>>();
let connections = 0;

function subscribersOf(topic: string): Set<PassThrough> {
  let set = topics.get(topic);
  if (!set) topics.set(topic, (set = new Set()));
  return set;
}

const app = new Koa();
app.use(async (ctx) => {
  const query = parseQuery(ctx.url);
  if (ctx.method === 'GET' && query.path === '/sse') {
    const set = subscribersOf(query.topic);
    const stream = new PassThrough();
    stream.write(`: ${OPEN_COMMENT}\n\n`);
    set.add(stream);
    connections++;
    ctx.req.on('close', () => {
      set.delete(stream);
      connections--;
      stream.end();
    });
    ctx.set(STREAM_HEADERS);
    ctx.status = 200;
    ctx.body = stream;
  } else if (ctx.method === 'POST' && query.path === '/publish') {
    const body = await readBody(ctx.req);
    const set = topics.get(query.topic);
    for (const { seq, data } of payloads(query.count, body)) {
      const bytes = Buffer.from(`id: ${seq}\ndata: ${data}\n\n`);
      if (set) for (const sub of set) sub.write(bytes);
    }
    ctx.body = { published: query.count };
  } else if (ctx.method === 'GET' && query.path === '/stats') {
    ctx.body = stats(connections, query.gc);
  }
});

// Koa pipes the body with stream.pipeline, which fails with ERR_STREAM_PREMATURE_CLOSE whenever a
// client goes away: that is how an SSE stream ends, so do not log it (Koa's default would, per close).
app.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE') console.error(error);
});

const keepAlive = Buffer.from(': keep-alive\n\n');
setInterval(() => {
  for (const set of topics.values()) for (const sub of set) sub.write(keepAlive);
}, KEEP_ALIVE_MS).unref();

serve(http.createServer(app.callback()));
