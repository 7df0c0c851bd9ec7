import test from 'ava';
// The built package, as the example imports it: one copy of the library (and of its error classes) per test.
import { createSystem } from 'sse-actors';
import { createExpressApp, TOPIC } from '../../examples/express/server.ts';
import { get } from '../helpers/sse-client.ts';
import { listenExample, streamsInitialThenEvent } from '../helpers/example-stream.ts';

test('Express example: initial chunk, then a notified event, exact bytes', async (t) => {
  const system = createSystem({ topics: [TOPIC], keepAlive: 0 });
  const base = await listenExample(t, system, createExpressApp(system).listen(0, '127.0.0.1'));
  await streamsInitialThenEvent(t, system, `${base}/ticks`, { initial: 'data: hello\n\n', topic: TOPIC });
  await system.stop({ timeoutMs: 1000 });
  t.is((await get(`${base}/ticks`)).status, 503, "Express's error handler answers the error's status");
});
