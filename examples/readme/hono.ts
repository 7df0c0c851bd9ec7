import { Hono } from 'hono';
import { createSystem } from 'sse-actors';

export const system = createSystem({ topics: ['ticks'] });

export const app = new Hono();
app.get('/ticks', (c) => {
  try {
    // A Fetch Response whose body is the stream: Hono (Node, Bun, Deno, workers) returns it as is.
    return system.response(c.req.raw, 'ticks', { data: 'hello' }, { headers: { 'Access-Control-Allow-Origin': '*' } });
  } catch (error) {
    // Thrown before anything is made (a stopped or full system, a bad topic): answer its status.
    return c.text((error as Error).message, ((error as { status?: number }).status ?? 500) as 400);
  }
});
// On Node: import { serve } from '@hono/node-server'; serve({ fetch: app.fetch, port: 3000 });
