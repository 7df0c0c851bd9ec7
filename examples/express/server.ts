import express, { type Express } from 'express';
import { pathToFileURL } from 'node:url';
import { createSystem, type SseSystem } from 'sse-actors';

/** The one topic of this example: a counter that ticks once a second when run directly. */
export const TOPIC = 'ticks';

/**
 * An Express 5 app that streams `/ticks`. Express's `req` and `res` are node's own request and
 * response objects with methods added, so `system.stream` takes them as they are.
 */
export function createExpressApp(system: SseSystem): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/ticks', (req, res) => {
    // A throw here (unknown topic: 400, stopped or full system: 503) happens before a byte is
    // written, so Express's error handler answers it with the error's `status`.
    system.stream(req, res, [TOPIC], { data: 'hello' });
  });
  return app;
}

// `node --import tsx examples/express/server.ts`, then `curl -N http://localhost:3000/ticks`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const system = createSystem({ topics: [TOPIC] });
  const server = createExpressApp(system).listen(Number(process.env.PORT ?? 3000));
  let n = 0;
  const timer = setInterval(() => system.notify({ id: ++n, topic: TOPIC, data: { data: `tick ${n}` } }), 1000);
  process.once('SIGINT', () => {
    clearInterval(timer);
    void system.stop().then(() => server.close());
  });
}
