import Fastify, { type FastifyInstance } from 'fastify';
import { pathToFileURL } from 'node:url';
import { createSystem, type SseSystem } from 'sse-actors';

/** The one topic of this example: a counter that ticks once a second when run directly. */
export const TOPIC = 'ticks';

/**
 * A Fastify 5 app that streams `/ticks` on the raw response. `reply.hijack()` tells Fastify the
 * handler writes the response itself, so Fastify neither serializes a body nor ends the stream.
 */
export function createFastifyApp(system: SseSystem): FastifyInstance {
  const app = Fastify();
  app.get('/ticks', (request, reply) => {
    // Resolve the topics before hijacking: an unknown topic throws UnknownTopicError (status 400)
    // while Fastify still owns the reply, so its error handler answers it.
    const topics = system.resolveTopics([TOPIC]);
    reply.hijack();
    system.stream(request.raw, reply.raw, topics, { data: 'hello' });
  });
  return app;
}

// `node --import tsx examples/fastify/server.ts`, then `curl -N http://localhost:3000/ticks`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const system = createSystem({ topics: [TOPIC] });
  const app = createFastifyApp(system);
  await app.listen({ port: Number(process.env.PORT ?? 3000) });
  let n = 0;
  const timer = setInterval(() => system.notify({ id: ++n, topic: TOPIC, data: { data: `tick ${n}` } }), 1000);
  process.once('SIGINT', () => {
    clearInterval(timer);
    // End the streams first: Fastify's close waits for open connections.
    void system.stop().then(() => app.close());
  });
}
