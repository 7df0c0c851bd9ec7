import test from 'ava';
// The built package, as the example imports it: one copy of the library (and of its error classes) per test.
import { createSystem } from 'sse-actors';
import { createNodeHttpServer, TOPIC } from '../../examples/node-http/server.ts';
import { get } from '../helpers/sse-client.ts';
import { listenExample, streamsInitialThenEvent } from '../helpers/example-stream.ts';

test('node:http example: initial chunk, then a notified event, exact bytes', async (t) => {
  const system = createSystem({ topics: [TOPIC], keepAlive: 0 });
  const base = await listenExample(t, system, createNodeHttpServer(system).listen(0, '127.0.0.1'));
  await streamsInitialThenEvent(t, system, `${base}/ticks`, { initial: 'data: hello\n\n', topic: TOPIC });
  t.is((await get(`${base}/other`)).status, 404);
  await system.stop({ timeoutMs: 1000 });
  t.is((await get(`${base}/ticks`)).status, 503, 'a stopped system answers with the error status');
});
