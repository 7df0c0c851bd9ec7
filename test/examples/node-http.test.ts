import test from 'ava';
// The built package, as the example imports it: one copy of the library (and of its error classes) per test.
import { createSystem } from 'sse-actors';
import { createNodeHttpServer, TOPIC } from '../../examples/node-http/server.ts';
import { get } from '../helpers/sse-client.ts';
import { RawClient } from '../hostile/raw.ts';
import { listenExample, streamsInitialThenEvent } from '../helpers/example-stream.ts';

test('node:http example: initial chunk, then a notified event, exact bytes', async (t) => {
  const system = createSystem({ topics: [TOPIC], keepAlive: 0 });
  const base = await listenExample(t, system, createNodeHttpServer(system).listen(0, '127.0.0.1'));
  await streamsInitialThenEvent(t, system, `${base}/ticks`, { initial: 'data: hello\n\n', topic: TOPIC });
  t.is((await get(`${base}/other`)).status, 404);
  await system.stop({ timeoutMs: 1000 });
  t.is((await get(`${base}/ticks`)).status, 503, 'a stopped system answers with the error status');
});

test('node:http example: a request target new URL() refuses (//x:99999/) gets an answer, and the server serves on', async (t) => {
  const system = createSystem({ topics: [TOPIC], keepAlive: 0 });
  const base = await listenExample(t, system, createNodeHttpServer(system).listen(0, '127.0.0.1'));
  const { port } = new URL(base);
  const client = new RawClient(Number(port), 'GET //x:99999/?lastEventId=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await client.untilClosed(5000);
  t.is(client.status, 404);
  await streamsInitialThenEvent(t, system, `${base}/ticks`, { initial: 'data: hello\n\n', topic: TOPIC });
});
