import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { createSystem, type SseSystem } from 'sse-actors';

/** The one topic of this example: a counter that ticks once a second when run directly. */
export const TOPIC = 'ticks';

/**
 * A plain `node:http` server that streams `/ticks`: `system.stream` writes the stream's headers,
 * then the initial chunk, then every event notified on the topic. No framework in between, so
 * this is also the cheapest way to serve a stream (no per-request framework state kept alive).
 */
export function createNodeHttpServer(system: SseSystem): http.Server {
  return http.createServer((req, res) => {
    // Not `new URL(req.url, base)`: it throws on targets a client may send (`//x:99999/`), and a
    // throw here would take the whole server down.
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== '/ticks') {
      res.writeHead(404).end();
      return;
    }
    try {
      system.stream(req, res, [TOPIC], { data: 'hello' });
    } catch (error) {
      // Bad input and a stopped or full system throw before a byte is written; the errors carry
      // the HTTP status to answer (400, 503) as http-errors do.
      const status = (error as { status?: number }).status ?? 500;
      res.writeHead(status).end();
    }
  });
}

// `node --import tsx examples/node-http/server.ts`, then `curl -N http://localhost:3000/ticks`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const system = createSystem({ topics: [TOPIC] });
  const server = createNodeHttpServer(system).listen(Number(process.env.PORT ?? 3000));
  let n = 0;
  const timer = setInterval(() => system.notify({ id: ++n, topic: TOPIC, data: { data: `tick ${n}` } }), 1000);
  process.once('SIGINT', () => {
    clearInterval(timer);
    void system.stop().then(() => server.close());
  });
}
