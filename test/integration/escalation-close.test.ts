import test from 'ava';
import net from 'node:net';
import { createSystem } from '../../src/index.ts';
import { startServer, eventually } from '../helpers/sse-client.ts';

// Issue 10, item 7: when the system fails by escalation, clients that do not read are still cut at closeTimeoutMs.
test('a system failed by escalation destroys the streams of clients that do not read after closeTimeoutMs; stop() waits for them', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0, closeTimeoutMs: 200, restart: { maxRestarts: 1, withinMs: 60_000 }, mailbox: { limit: 100_000 }, onEscalation: () => {} });
  const srv = await startServer(system);
  t.teardown(() => srv.server.closeAllConnections());
  const { port } = new URL(srv.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.write('GET /stream?topics=a HTTP/1.1\r\nHost: x\r\n\r\n');
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'streaming');
  socket.pause();
  const big = 'x'.repeat(64 * 1024);
  for (let id = 1; id <= 200 && system.snapshot().connections[0]?.state !== 'blocked'; id++) {
    system.notify({ id, topic: 'a', data: { data: big } });
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.is(system.snapshot().connections[0]?.state, 'blocked');
  system.exit('registry', 'kill');
  system.exit('registry', 'kill');
  t.is(system.snapshot().status, 'failed');
  t.deepEqual(system.snapshot().connections, []);
  t.is(system.snapshot().timers.deadlines, 1); // the close timeout of the stream that does not read
  const stopped = system.stop({ timeoutMs: 10_000 });
  // The client is paused, so it sees no FIN: count the server's open sockets instead.
  let open = 1;
  await eventually(() => {
    srv.server.getConnections((_error, count) => (open = count));
    return open === 0;
  }, 5000, 'the server to destroy the socket of the client that does not read');
  await stopped;
  t.is(system.snapshot().timers.deadlines, 0);
});
