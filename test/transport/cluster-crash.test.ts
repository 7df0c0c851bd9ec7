import test from 'ava';
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { clusterPrimary, clusterTransport, createSystem } from '../../src/index.ts';
import { SseClient, eventually } from '../helpers/sse-client.ts';

// This ava process is the primary (and runs a system of its own, which notifies); two workers
// (test/fixtures/cluster-node.ts) stream on the port they share. Waits are for events, with deadlines.

interface Listening {
  worker: Worker;
  port: number;
}

const ids = (client: SseClient): string[] => client.events.map((frame) => frame.id ?? '');
const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, n) => `e${from + n}`);

test('a worker SIGKILLed mid-stream is replaced; its client reconnects to any worker with Last-Event-ID and gets every event once, in order', async (t) => {
  process.env.CHANNEL = `crash:${process.pid}`;
  cluster.setupPrimary({ exec: fileURLToPath(new URL('../fixtures/cluster-node.ts', import.meta.url)), stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const listening = new Map<number, Listening>();
  let seq = 0;
  const answers = new Map<number, (error?: string) => void>();
  const primary = clusterPrimary({
    workers: 2,
    onFork: (worker) =>
      worker.on('message', (message: { type: string; port?: number; pid?: number; seq?: number; error?: string }) => {
        if (message.type === 'listening') listening.set(message.pid ?? 0, { worker, port: message.port ?? 0 });
        if (message.type === 'notified') answers.get(message.seq ?? 0)?.(message.error);
      }),
  });
  const system = createSystem({ topics: ['a', 'b'], transport: clusterTransport({ channel: process.env.CHANNEL }), node: 'primary', keepAlive: 0, history: { size: 1000, ttlMs: 0 } });
  const clients: SseClient[] = [];
  t.teardown(async () => {
    for (const client of clients) client.close();
    await system.stop({ timeoutMs: 500 });
    await primary.stop();
  });
  /** Notifies on a worker (over IPC); resolves once that worker's transport had it sequenced. */
  const notifyOn = (worker: Worker, id: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const n = (seq += 1);
      answers.set(n, (error) => (error === undefined ? resolve() : reject(new Error(error))));
      worker.send({ type: 'notify', seq: n, topic: 'a', id });
    });
  const connect = async (headers: Record<string, string> = {}): Promise<SseClient> => {
    const client = await SseClient.connect(`http://127.0.0.1:${[...listening.values()][0]?.port}/stream?topics=a`, headers);
    clients.push(client);
    return client;
  };
  const workerOf = (client: SseClient): number => Number(client.res.headers['x-worker']);

  await system.ready();
  await eventually(() => listening.size === 2, 30_000, 'two workers listening');
  t.is(new Set([...listening.values()].map((l) => l.port)).size, 1, 'the workers share one port');

  const first = await connect();
  for (const n of [1, 2, 3, 4, 5]) await system.notify({ topic: 'a', id: `e${n}`, data: { data: `e${n}` } }); // from the primary
  await first.untilEvents(5);
  const victim = listening.get(workerOf(first)) as Listening;
  const survivor = [...listening.entries()].find(([pid]) => pid !== workerOf(first)) as [number, Listening];
  victim.worker.process.kill('SIGKILL');
  for (const n of [6, 7, 8]) await system.notify({ topic: 'a', id: `e${n}`, data: { data: `e${n}` } }); // while it dies
  await first.untilEnded();
  await eventually(() => listening.size === 3 && primary.status().replaced === 1, 30_000, 'a replacement worker listening');
  const replacement = [...listening.entries()].find(([pid]) => pid !== survivor[0] && pid !== workerOf(first)) as [number, Listening];

  // The scheduler hands connections round-robin: reconnect until one stream is on each live worker.
  const lastEventId = ids(first).at(-1) as string;
  const again = new Map<number, SseClient>();
  for (let attempt = 0; attempt < 10 && again.size < 2; attempt++) {
    const client = await connect({ 'last-event-id': lastEventId });
    if (!again.has(workerOf(client))) again.set(workerOf(client), client);
  }
  t.deepEqual([...again.keys()].sort(), [survivor[0], replacement[0]].sort(), 'reconnected to the survivor and to the replacement');
  await notifyOn(replacement[1].worker, 'e9'); // from a worker: the new one
  await notifyOn(survivor[1].worker, 'e10');
  for (const client of again.values()) {
    await client.untilEvents(10 - ids(first).length);
    t.deepEqual([...ids(first), ...ids(client)], range(1, 10), `worker ${workerOf(client)}: every event once, in order`);
  }
  t.deepEqual(ids(first), range(1, ids(first).length));
  t.like(primary.status(), { replaced: 1, gaveUp: false });
});
