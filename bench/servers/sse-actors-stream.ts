// sse-actors without Koa: system.stream(req, res, topics, initial) on a plain node:http server.
import http from 'node:http';
import { createSystem } from './sse-actors.ts';
import { KEEP_ALIVE_MS, OPEN_COMMENT, TOPICS, fanOutDone, parseQuery, payloads, readBody, sendJson, serve, stats } from './contract.ts';

const system = createSystem({ topics: TOPICS, keepAlive: KEEP_ALIVE_MS });

const server = http.createServer((req, res) => {
  const query = parseQuery(req.url);
  if (req.method === 'GET' && query.path === '/sse') {
    system.stream(req, res, [query.topic], { data: [], comment: OPEN_COMMENT });
  } else if (req.method === 'POST' && query.path === '/publish') {
    void readBody(req).then((body) => {
      for (const { seq, data } of payloads(query.count, body)) system.notify({ id: seq, topic: query.topic, data: { data } });
      fanOutDone();
      sendJson(res, 200, { published: query.count });
    });
  } else if (req.method === 'GET' && query.path === '/stats') {
    sendJson(res, 200, stats(system.connectionCount, query.gc));
  } else {
    sendJson(res, 404, { error: 'not found' });
  }
});

serve(server);
