// Replay latency: a client reconnects with Last-Event-ID after missing 1,000 events; time from
// the request to the last replayed event, against a plain connect (to its first byte) in the same run.
// Usage: node --import tsx bench/replay-latency.ts [missed=1000] [rounds=30]. Bounded by rounds.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSystem } from '../src/index.ts';

const MISSED = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 30);

const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: MISSED + 1, ttlMs: 0 } });
const server = http.createServer((req, res) => system.stream(req, res, ['t'], { data: 'state' }));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

/** Time until the response contains `needle` (or its first byte when needle is empty). */
function timeUntil(headers: Record<string, string>, needle: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers, agent: false }, (res) => {
      let tail = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => {
        const seen = tail + chunk;
        tail = seen.slice(-needle.length);
        if (seen.includes(needle)) {
          resolve(performance.now() - start);
          req.destroy();
        }
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
  });
}

const payload = JSON.stringify({ rates: { USD: 1, EUR: 0.9234 }, pad: 'x'.repeat(64) });
let next = 0;
const replay: number[] = [];
const plain: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const lastSeen = String(next);
  system.notify({ id: next++, topic: 't', data: { data: payload } });
  for (let i = 0; i < MISSED; i++) system.notify({ id: next++, topic: 't', data: { data: payload } });
  replay.push(await timeUntil({ 'last-event-id': lastSeen }, `id: ${next - 1}\n`));
  plain.push(await timeUntil({}, 'data: state\n\n'));
}
await system.stop();
server.close();

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] as number;
const ms = (x: number) => `${x.toFixed(2)} ms`;
console.log(`replay of ${MISSED} missed events (${Buffer.byteLength(payload) + 20} B each), ${ROUNDS} rounds over loopback:`);
console.log(`  reconnect → last replayed event: p50 ${ms(pct(replay, 50))}, p99 ${ms(pct(replay, 99))}`);
console.log(`  plain connect → initial chunk:   p50 ${ms(pct(plain, 50))}, p99 ${ms(pct(plain, 99))}`);
console.log(`  replay cost per missed event (p50): ${(((pct(replay, 50) - pct(plain, 50)) * 1000) / MISSED).toFixed(2)} µs`);
