// Baseline: a hand-written node:http SSE loop. Each event is encoded once and written with one
// res.write per subscriber; subscribers are a Set of responses per topic, removed on 'close';
// one shared interval writes the keep-alive comment.
import http from 'node:http';
import { KEEP_ALIVE_MS, OPEN_COMMENT, STREAM_HEADERS, fanOutDone, parseQuery, payloads, readBody, sendJson, serve, stats } from './contract.ts';

const topics = new Map<string, Set<http.ServerResponse>>();
let connections = 0;

function subscribersOf(topic: string): Set<http.ServerResponse> {
  let set = topics.get(topic);
  if (!set) topics.set(topic, (set = new Set()));
  return set;
}

const server = http.createServer((req, res) => {
  const query = parseQuery(req.url);
  if (req.method === 'GET' && query.path === '/sse') {
    const set = subscribersOf(query.topic);
    res.writeHead(200, STREAM_HEADERS);
    res.write(`: ${OPEN_COMMENT}\n\n`);
    set.add(res);
    connections++;
    res.on('close', () => {
      set.delete(res);
      connections--;
    });
  } else if (req.method === 'POST' && query.path === '/publish') {
    void readBody(req).then((body) => {
      const set = topics.get(query.topic);
      for (const { seq, data } of payloads(query.count, body)) {
        const bytes = Buffer.from(`id: ${seq}\ndata: ${data}\n\n`);
        if (set) for (const sub of set) sub.write(bytes);
      }
      fanOutDone();
      sendJson(res, 200, { published: query.count });
    });
  } else if (req.method === 'GET' && query.path === '/stats') {
    sendJson(res, 200, stats(connections, query.gc));
  } else {
    sendJson(res, 404, { error: 'not found' });
  }
});

const keepAlive = Buffer.from(': keep-alive\n\n');
setInterval(() => {
  for (const set of topics.values()) for (const sub of set) sub.write(keepAlive);
}, KEEP_ALIVE_MS).unref();

serve(server);
