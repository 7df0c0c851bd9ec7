import test from 'ava';
import { createSystem } from '../../src/index.ts';
import { SseClient, startServer, eventually, get } from '../helpers/sse-client.ts';

test('connectionCount: the streams open on this node, equal to snapshot().connections.length at every step', async (t) => {
  const system = createSystem({ topics: ['news'], keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  t.is(system.connectionCount, 0);
  const clients = await Promise.all([1, 2, 3].map(() => SseClient.connect(`${srv.url}/stream?topics=news&initial=hi`)));
  await Promise.all(clients.map((c) => c.untilEvents(1)));
  t.is(system.connectionCount, 3);
  t.is(system.snapshot().connections.length, 3);
  // A refused request (unknown topic) and a HEAD hold no stream.
  t.is((await get(`${srv.url}/stream?topics=nope`)).status, 400);
  t.is(system.connectionCount, 3);
  clients[0]?.close();
  await eventually(() => system.connectionCount === 2, 5000, 'one stream released');
  t.is(system.snapshot().connections.length, 2);
  // A restarted connection actor is still one stream.
  const [row] = system.snapshot().connections;
  system.exit(row!.id, 'kill');
  t.is(system.connectionCount, 2);
  for (const c of clients.slice(1)) c.close();
  await eventually(() => system.connectionCount === 0, 5000, 'every stream released');
  await system.stop({ timeoutMs: 1000 });
  t.is(system.connectionCount, 0);
});
