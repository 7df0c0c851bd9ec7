import test from 'ava';
import net from 'node:net';
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

test('node:http example: a request target new URL() refuses (//x:99999/) gets an answer, and the server serves on', async (t) => {
  const system = createSystem({ topics: [TOPIC], keepAlive: 0 });
  const base = await listenExample(t, system, createNodeHttpServer(system).listen(0, '127.0.0.1'));
  const { port } = new URL(base);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('GET //x:99999/?lastEventId=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  t.regex(answer, /^HTTP\/1\.1 404 /);
  await streamsInitialThenEvent(t, system, `${base}/ticks`, { initial: 'data: hello\n\n', topic: TOPIC });
});
