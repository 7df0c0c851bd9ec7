import test from 'ava';
import http2 from 'node:http2';
import { createSystem } from '../../src/index.ts';
import { eventually } from '../helpers/sse-client.ts';
import { h2Session } from '../helpers/h2.ts';

test('HTTP/2 (h2c): system.stream streams without the hop-by-hop Connection header; a closed stream is removed', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0 });
  const session = await h2Session(t, system, http2.createServer((req, res) => system.stream(req, res, ['t'], { data: 'hi' })), 1000);
  const stream = session.request({ ':path': '/', accept: 'text/event-stream' });
  const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
  t.is(Number(headers[':status']), 200);
  t.is(headers['content-type'], 'text/event-stream; charset=utf-8');
  t.is(headers['cache-control'], 'no-cache, no-transform');
  t.is(headers.connection, undefined);
  let raw = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (raw += chunk));
  await eventually(() => raw === 'data: hi\n\n' && system.snapshot().connections[0]?.state === 'streaming', 5000, 'the initial chunk');
  system.notify({ id: 1, topic: 't', data: { data: 'over h2' } });
  await eventually(() => raw.endsWith('id: 1\ndata: over h2\n\n'), 5000, 'the event');
  t.is(raw, 'data: hi\n\nid: 1\ndata: over h2\n\n');
  t.is(system.snapshot().connections[0]?.delivered, 1);
  stream.close();
  await eventually(() => system.snapshot().connections.length === 0, 5000, 'the closed stream to be removed');
  t.deepEqual(system.snapshot().topics, [{ topic: 't', subscribers: 0, history: 1 }]);
});
