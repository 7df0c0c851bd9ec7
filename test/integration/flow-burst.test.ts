import test from 'ava';
import net from 'node:net';
import { createSystem } from '../../src/index.ts';
import { SseClient, startServer, eventually } from '../helpers/sse-client.ts';

// Issue 10, item 6: the mailbox bound measures how far behind a client is, not what one turn queued.
test('a fast client gets a burst larger than the mailbox limit, notified in one synchronous loop, whole (default mailbox: 1024, close)', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=a&initial=start`);
  await client.untilEvents(1);
  for (let i = 1; i <= 1100; i++) system.notify({ id: i, topic: 'a', data: { data: `e${i}` } });
  await client.untilEvents(1101, 20_000);
  t.deepEqual(
    client.events.slice(1).map((f) => f.id),
    Array.from({ length: 1100 }, (_, i) => String(i + 1)),
  );
  t.deepEqual(system.snapshot().counters, { dropped: 0, overflowClosed: 0, lifetimeEnded: 0, rejected: 0, busyFull: 0, busyStopping: 0, busyAuthorizeTimeout: 0, disconnected: 0 });
});

test('the bound still applies to a client that stopped reading: past the limit of frames waiting on its socket, close ends the stream', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0, mailbox: { limit: 16, overflow: 'close' } });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const { port } = new URL(srv.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.write('GET /stream?topics=a HTTP/1.1\r\nHost: x\r\n\r\n');
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'streaming');
  socket.pause(); // reads nothing more: the server's writes push back
  const big = 'x'.repeat(64 * 1024);
  let id = 0;
  // Bounded: at most 1,000 events of 64 KB, one turn each, until the socket refuses more and 16 wait.
  while (system.snapshot().counters.overflowClosed === 0 && id < 1000) {
    system.notify({ id: ++id, topic: 'a', data: { data: big } });
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.is(system.snapshot().counters.overflowClosed, 1);
  t.true(id > 16, `the socket refused more after ${id} events`);
});
