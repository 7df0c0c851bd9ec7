import test from 'ava';
// The built package, as the example imports it: one copy of the library (and of its error classes) per test.
import { createSystem } from 'sse-actors';
import { createFastifyApp, TOPIC } from '../../examples/fastify/server.ts';
import { get } from '../helpers/sse-client.ts';
import { streamsInitialThenEvent } from '../helpers/example-stream.ts';

test('Fastify example: initial chunk, then a notified event on the hijacked raw reply, exact bytes', async (t) => {
  const system = createSystem({ topics: [TOPIC], keepAlive: 0 });
  const app = createFastifyApp(system);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await system.stop({ timeoutMs: 1000 });
    await app.close();
  });
  await streamsInitialThenEvent(t, system, `${base}/ticks`, { initial: 'data: hello\n\n', topic: TOPIC });
});

test('Fastify example: an unknown topic is answered by Fastify with 400 before the reply is hijacked', async (t) => {
  const system = createSystem({ topics: ['other'], keepAlive: 0 });
  const app = createFastifyApp(system);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await system.stop({ timeoutMs: 1000 });
    await app.close();
  });
  const answer = await get(`${base}/ticks`);
  t.is(answer.status, 400);
  t.regex(answer.body, /ticks/);
  t.is(system.snapshot().connections.length, 0);
});
