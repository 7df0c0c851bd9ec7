// Server memory for N idle SSE connections (default 1,000), curl-like clients over loopback.
// Usage: node --import tsx bench/idle-memory.ts [N]. Bounded: N connections, 60 s deadline.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';

const N = Number(process.argv[2] ?? 1000);
const DEADLINE = Date.now() + 60_000;

interface Memory { heapUsed: number; rss: number; connections: number }

function request<T>(child: ChildProcess, message: object, reply: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== reply) return;
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

const child = fork(new URL('./servers/sse-actors-koa.ts', import.meta.url), [], { execArgv: ['--expose-gc', '--import', 'tsx'] });
const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
const base = await request<Memory>(child, { type: 'measure' }, 'memory');

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const requests: http.ClientRequest[] = [];
await new Promise<void>((resolve, reject) => {
  let open = 0;
  for (let i = 0; i < N; i++) {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.once('data', () => {
        if (++open === N) resolve();
      });
    });
    req.on('error', reject);
    requests.push(req);
  }
});
let loaded: Memory;
do {
  if (Date.now() > DEADLINE) throw new Error('deadline passed');
  loaded = await request<Memory>(child, { type: 'measure' }, 'memory');
} while (loaded.connections < N);

const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
console.log(`idle connections: ${loaded.connections}`);
console.log(`server heap: ${mb(base.heapUsed)} MB → ${mb(loaded.heapUsed)} MB (${((loaded.heapUsed - base.heapUsed) / N / 1024).toFixed(2)} KB per connection)`);
console.log(`server RSS:  ${mb(base.rss)} MB → ${mb(loaded.rss)} MB (${((loaded.rss - base.rss) / N / 1024).toFixed(2)} KB per connection)`);
for (const req of requests) req.destroy();
child.send({ type: 'exit' });
