import test from 'ava';
import http from 'node:http';
import { createSystem } from '../../src/index.ts';
import { startServer, eventually } from '../helpers/sse-client.ts';

const ROUND = 5_000;
const PARALLEL = 25;

/** Opens a stream, waits for its first bytes (the actor is streaming by then), then disconnects. */
function cycle(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve() : reject(error)));
  });
}

async function round(url: string, count: number): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started += 1;
      await cycle(url);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (set in package.json ava.nodeArguments)');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

test('10,000 connect/disconnect cycles in two rounds leave no per-connection residue', async (t) => {
  const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const timersBefore = timeouts();
  // Keep-alive and a lifetime: both put every connection on the system clock.
  const system = createSystem({ topics: ['a', 'b'], keepAlive: 1000, maxLifetimeMs: 3_600_000 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const url = `${srv.url}/stream?topics=a,b&initial=hi`;
  const idle = async () => {
    await eventually(() => system.snapshot().connections.length === 0, 20_000, 'every connection to be gone');
    // let sockets finish closing on both ends before measuring
    await new Promise((resolve) => setImmediate(resolve));
  };

  await round(url, ROUND);
  await idle();
  const before = heapAfterGc();
  await round(url, ROUND);
  await idle();
  const after = heapAfterGc();

  const perCycle = (after - before) / ROUND;
  t.log(`heap before round 2: ${(before / 1e6).toFixed(2)} MB, after: ${(after / 1e6).toFixed(2)} MB, growth per cycle: ${perCycle.toFixed(1)} B`);
  t.true(perCycle < 100, `heap grew ${perCycle.toFixed(1)} B per cycle in the second round`);
  const snap = system.snapshot();
  t.deepEqual(snap.connections, []);
  t.deepEqual(snap.timers, { keepAlive: 0, deadlines: 0 });
  t.is(timeouts(), timersBefore, 'no timer left pending');
  t.deepEqual(snap.topics, [
    { topic: 'a', subscribers: 0, history: 0 },
    { topic: 'b', subscribers: 0, history: 0 },
  ]);
});
