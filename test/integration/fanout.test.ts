import test from 'ava';
import { createSystem } from '../../src/index.ts';
import { SseClient, startServer, eventually } from '../helpers/sse-client.ts';

test('200 clients × 100 events: every client gets every event, in order, once', async (t) => {
  const CLIENTS = 200;
  const EVENTS = 100;
  const system = createSystem({ topics: ['prices', 'other'], keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => SseClient.connect(`${srv.url}/stream?topics=prices,other`)));
  await eventually(() => system.snapshot().connections.length === CLIENTS, 10_000, `${CLIENTS} connections`);
  const expected: string[] = [];
  // Publish in bursts across turns so coalescing and ordering across flushes are both exercised.
  for (let i = 0; i < EVENTS; i++) {
    const topic = i % 10 === 9 ? 'other' : 'prices';
    system.notify({ id: i, topic, data: { data: JSON.stringify({ i, topic }) } });
    expected.push(String(i));
    if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(clients.map((c) => c.untilEvents(EVENTS, 20_000)));
  const wrong = clients.map((c) => c.events.map((f) => f.id)).filter((ids) => JSON.stringify(ids) !== JSON.stringify(expected));
  t.deepEqual(wrong, [], 'every client received exactly ids 0..99 in order');
  await eventually(() => system.snapshot().connections.every((c) => c.delivered === EVENTS && c.lastEventId === String(EVENTS - 1)));
  t.is(system.snapshot().connections.reduce((sum, c) => sum + c.delivered, 0), CLIENTS * EVENTS);
  for (const c of clients) c.close();
  await eventually(() => system.snapshot().connections.length === 0, 10_000, 'all closed');
});
