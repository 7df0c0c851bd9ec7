// The h2-vs-h1 server (bench/h2.ts): system.stream on node:http (h1) or node:http2 (h2c), memory
// transport. env: H2_PROTOCOL ('h1' | 'h2').
//   in:  { type: 'burst', events, perBurst } → notifies them, a setImmediate between bursts → { type: 'sent' }
//        { type: 'stats' } → { type: 'stats', connections, cpuUs, delivered }
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createSystem } from '../../src/index.ts';

const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 } });
const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void system.stream(req, res, 't');
const server = process.env.H2_PROTOCOL === 'h2' ? http2.createServer({ settings: { maxConcurrentStreams: 1000 } }, handler) : http.createServer(handler);
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port }));
const payload = 'z'.repeat(64);
let id = 0;

process.on('message', async (message: { type: string; events?: number; perBurst?: number }) => {
  if (message.type === 'burst') {
    for (let sent = 0; sent < (message.events as number); ) {
      for (let i = 0; i < (message.perBurst as number); i++, sent++) system.notify({ id: ++id, topic: 't', data: { data: `${id} ${payload}` } });
      await new Promise((resolve) => setImmediate(resolve));
    }
    process.send?.({ type: 'sent' });
  }
  if (message.type === 'stats') {
    const cpu = process.cpuUsage();
    const snapshot = system.snapshot();
    process.send?.({ type: 'stats', connections: snapshot.connections.length, cpuUs: cpu.user + cpu.system, delivered: snapshot.events.delivered, overflowClosed: snapshot.counters.overflowClosed });
  }
});
process.on('disconnect', () => process.exit(0));
