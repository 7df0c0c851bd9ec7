// A server for bench scripts: sse-actors through Koa, run as a child process with an IPC channel.
// Messages in: 'measure' → replies { type: 'memory', heapUsed, rss, connections } after a full GC;
// { type: 'notify', count } → notifies `count` events. Replies { type: 'listening', port } at start.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createSystem, sse } from '../../src/index.ts';

const system = createSystem({ topics: ['t'], keepAlive: 15_000 });
const app = new Koa();
app.use(sse(system));
app.use((ctx) => {
  ctx.sse(['t'], { data: 'hello' });
});
const server = http.createServer(app.callback());
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port });
});

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (message: { type: string; count?: number }) => {
  if (message.type === 'measure') {
    for (let i = 0; i < 4; i++) gc?.();
    const { heapUsed, rss } = process.memoryUsage();
    process.send?.({ type: 'memory', heapUsed, rss, connections: system.snapshot().connections.length });
  } else if (message.type === 'notify') {
    for (let i = 0; i < (message.count ?? 1); i++) system.notify({ id: i, topic: 't', data: { data: `event ${i}` } });
  } else if (message.type === 'exit') {
    void system.stop().then(() => server.close(() => process.exit(0)));
  }
});
