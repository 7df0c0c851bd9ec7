// Runs inside the empty project that installed the packed tarball: `sse-actors/client` through
// Node's own ESM loader (dist/client.js). Its fetch transport reads a system.stream, loses the
// connection, resumes with Last-Event-ID, and prints what it dispatched and the ids it resumed from.
import http from 'node:http';
import { clearTimeout, setTimeout } from 'node:timers';
import { createSystem } from 'sse-actors';
import { EventStream } from 'sse-actors/client';

const system = createSystem({ topics: ['rates'], keepAlive: 0 });
const resumedFrom = [];
const server = http.createServer((req, res) => {
  resumedFrom.push(req.headers['last-event-id'] ?? null);
  system.stream(req, res, ['rates'], { data: 'hello' });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const deadline = setTimeout(() => {
  console.error('not done within 10 s');
  process.exit(2);
}, 10_000);

const received = [];
const stream = new EventStream(`http://127.0.0.1:${server.address().port}/`, { backoff: { minMs: 10, maxMs: 50 } });
stream.onmessage = (message) => {
  received.push(`${message.lastEventId}:${message.data}`);
  if (received.length === 1) system.notify({ id: 1, topic: 'rates', data: { data: 'one' } });
  if (received.length === 2) {
    server.closeAllConnections(); // the client comes back by itself, from id 1
    system.notify({ id: 2, topic: 'rates', data: { data: 'missed' } });
  }
  if (received.length === 4) {
    clearTimeout(deadline);
    stream.close();
    console.log(JSON.stringify({ received, resumedFrom }));
    void system.stop({ timeoutMs: 1000 }).then(() => server.close());
  }
};
