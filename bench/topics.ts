// Topics at runtime: 10,000 streams each on its own user.N topic plus one broadcast topic, notifies
// to random users. Streams are attached to counting sinks through the system's port (no sockets):
// what is measured is the topic machinery, not HTTP.
//   1. memory transport, one process: CPU per notify (to a user, and a broadcast to all 10k), heap
//      per live topic, heap left once 100k notified-once topics were reclaimed
//   2. two nodes on Redis (5,000 users each): Redis commands per notify per node, counted by the
//      nodes' own clients, and the first-subscriber latency (history fetched before attaching)
// Standalone: node --import tsx --expose-gc bench/topics.ts (BENCH_QUICK=1: small sizes); also a
// scenario of bench/run.ts (BENCH_SCENARIOS=topics). Redis: the shared 127.0.0.1:6379, own prefix, keys deleted.
import { pathToFileURL } from 'node:url';
import { SimulatedClock } from 'xstate';
import { createClient } from 'redis';
import { createSystem, redisTransport, type RedisClientLike, type Sink, type SseSystem } from '../src/index.ts';
import { RECLAIM_SWEEP_MS } from '../src/system/topics.ts';
import { config } from './config.ts';

export interface TopicsBenchResult {
  users: number;
  notifies: number;
  memory: { cpuPerUserNotifyUs: number; cpuPerBroadcastUs: number; heapPerTopicBytes: number; heapLeftAfterReclaimBytes: number };
  redis: { commandsPerNotify: { publisher: number; subscriberNode: number }; firstSubscriberMs: { p50: number; p99: number }; followedMs: { p50: number; p99: number }; samples: number };
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const heap = (): number => (gc(), process.memoryUsage().heapUsed);
const cpuUs = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** A sink that takes every write at once, counts them, and tells when the first arrived. */
function countingSink(onWrite?: () => void): Sink & { writes: number } {
  return {
    writes: 0,
    closed: false,
    ended: false,
    open: () => undefined,
    write(_bytes, done) {
      this.writes += 1;
      onWrite?.();
      done();
      return true;
    },
    end() {
      (this as { ended: boolean }).ended = true;
    },
    destroy: () => undefined,
    listen: () => undefined,
    unlisten: () => undefined,
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function memory(users: number, notifies: number): Promise<TopicsBenchResult['memory']> {
  const clock = new SimulatedClock();
  const system = createSystem({ topics: ['broadcast', 'user.*'], keepAlive: 0, clock, history: { size: 10, ttlMs: 1000 }, maxTopics: 1_000_000 });
  const empty = heap();
  for (let n = 0; n < users; n++) system.admit({ topics: ['broadcast', `user.${n}`] }).attach(countingSink());
  await turn();
  const heapPerTopicBytes = (heap() - empty) / users; // a stream, its actor and its topic: the whole cost of one user
  let seq = 0;
  const started = cpuUs();
  for (let n = 0; n < notifies; n++) {
    system.notify({ id: seq++, topic: `user.${Math.floor(Math.random() * users)}`, data: { data: 'x' } });
    if (n % 1000 === 999) await turn(); // let the flusher write, as a server's event loop would
  }
  await turn();
  const cpuPerUserNotifyUs = (cpuUs() - started) / notifies;
  const broadcasts = 20;
  const before = cpuUs();
  for (let n = 0; n < broadcasts; n++) {
    system.notify({ id: seq++, topic: 'broadcast', data: { data: 'all' } });
    await turn();
  }
  const cpuPerBroadcastUs = (cpuUs() - before) / broadcasts;
  // Reclaim: notified-once topics with nobody listening, gone once their history expired.
  const other = createSystem({ topics: ['user.*'], keepAlive: 0, clock, history: { size: 10, ttlMs: 1000 }, maxTopics: 1_000_000 });
  const round = (base: number) => {
    for (let n = 0; n < 100_000; n++) other.notify({ id: n, topic: `user.${base + n}`, data: { data: 'x' } });
    clock.increment(1000 + RECLAIM_SWEEP_MS);
  };
  round(0);
  const start = heap();
  round(1_000_000);
  const heapLeftAfterReclaimBytes = heap() - start;
  const stopped = Promise.all([system.stop({ timeoutMs: 0 }), other.stop({ timeoutMs: 0 })]);
  clock.increment(1); // the stop timeout runs on the simulated clock
  await stopped;
  return { cpuPerUserNotifyUs, cpuPerBroadcastUs, heapPerTopicBytes, heapLeftAfterReclaimBytes };
}

function counting(client: ReturnType<typeof createClient>, count: { n: number }): RedisClientLike {
  return {
    get isOpen() {
      return client.isOpen;
    },
    connect: () => client.connect(),
    duplicate: () => counting(client.duplicate(), count),
    sendCommand: (args: string[]) => {
      count.n += 1;
      return client.sendCommand(args);
    },
    destroy: () => client.destroy(),
    on: (event, listener) => client.on(event, listener),
  };
}

async function redis(users: number, notifies: number): Promise<TopicsBenchResult['redis']> {
  const prefix = `bench-topics:${process.pid}:`;
  const clients = [createClient({ url: 'redis://127.0.0.1:6379' }), createClient({ url: 'redis://127.0.0.1:6379' })];
  const counts = [{ n: 0 }, { n: 0 }];
  const nodes = clients.map((client, n) =>
    createSystem({ topics: ['broadcast', 'user.*'], keepAlive: 0, node: `n${n}`, maxTopics: 1_000_000, history: { size: 10, ttlMs: 0 }, transport: redisTransport({ client: counting(client, counts[n] as { n: number }), prefix }) }),
  ) as [SseSystem<Promise<void>>, SseSystem<Promise<void>>];
  try {
    await Promise.all(nodes.map((node) => node.ready()));
    // Half the users stream from node 1, the other half from node 0 (which also publishes).
    const half = users / 2;
    for (let n = 0; n < half; n++) nodes[1].admit({ topics: ['broadcast', `user.${n}`] }).attach(countingSink());
    for (let n = half; n < users; n++) nodes[0].admit({ topics: ['broadcast', `user.${n}`] }).attach(countingSink());
    // A stream starts once its topic's history is in (the node follows it): wait for all of them.
    for (let waited = 0; nodes.some((node) => node.snapshot().connections.length < half) && waited < 120_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 500)); // the readers' last re-reads
    const before = counts.map((c) => c.n);
    // Every notify from node 0 to a user on node 1: node 0 publishes and, reading only its own users' topics, is not woken.
    // In batches of 100 in flight, within the publish queue's time bound on a busy machine.
    for (let n = 0; n < notifies; n += 100) {
      const batch: Array<Promise<void>> = [];
      for (let k = n; k < Math.min(n + 100, notifies); k++) batch.push(nodes[0].notify({ id: `e${k}`, topic: `user.${Math.floor(Math.random() * half)}`, data: { data: 'x' } }));
      await Promise.all(batch);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const publisher = ((counts[0] as { n: number }).n - (before[0] as number)) / notifies;
    const subscriberNode = ((counts[1] as { n: number }).n - (before[1] as number)) / notifies;
    // First subscriber of a topic on node 1 vs one on a topic node 1 follows already.
    const samples = config.quick ? 10 : 50;
    const first: number[] = [];
    const followed: number[] = [];
    for (let k = 0; k < samples; k++) {
      const topic = `user.fresh${k}`;
      for (let n = 0; n < 10; n++) await nodes[0].notify({ id: `f${n}`, topic, data: { data: 'x' } });
      for (const into of [first, followed]) {
        const t0 = performance.now();
        await new Promise<void>((resolve) => {
          nodes[1].admit({ topics: topic, lastEventId: 'f0' }).attach(countingSink(resolve));
        });
        into.push(performance.now() - t0);
      }
    }
    first.sort((a, b) => a - b);
    followed.sort((a, b) => a - b);
    return {
      commandsPerNotify: { publisher, subscriberNode },
      firstSubscriberMs: { p50: pct(first, 0.5), p99: pct(first, 0.99) },
      followedMs: { p50: pct(followed, 0.5), p99: pct(followed, 0.99) },
      samples,
    };
  } finally {
    await Promise.all(nodes.map((node) => node.stop({ timeoutMs: 100 })));
    const keys = await clients[0]?.keys(`${prefix}*`);
    for (const key of keys ?? []) await clients[0]?.del(key);
    for (const client of clients) client.destroy();
  }
}

export async function topicsBench(log: (line: string) => void = console.log): Promise<TopicsBenchResult> {
  const users = config.quick ? 1000 : 10_000;
  const notifies = config.quick ? 2000 : 20_000;
  const mem = await memory(users, notifies);
  log(`topics memory: ${mem.cpuPerUserNotifyUs.toFixed(1)} µs CPU per user notify, ${mem.cpuPerBroadcastUs.toFixed(0)} µs per broadcast to ${users}, ${(mem.heapPerTopicBytes / 1024).toFixed(1)} KB heap per user (stream + topic), ${(mem.heapLeftAfterReclaimBytes / 1e6).toFixed(2)} MB left after 100k topics reclaimed`);
  const red = await redis(users, Math.min(notifies, 5000));
  log(`topics redis: ${red.commandsPerNotify.publisher.toFixed(2)} commands per notify on the publisher, ${red.commandsPerNotify.subscriberNode.toFixed(2)} on the subscriber's node; first subscriber p50 ${red.firstSubscriberMs.p50.toFixed(1)} ms (followed already: ${red.followedMs.p50.toFixed(1)} ms)`);
  return { users, notifies, memory: mem, redis: red };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await topicsBench(), null, 1));
}

/** The docs/benchmarks.md section of a `topics` run. */
export function topicsSection(r: TopicsBenchResult): string {
  const n = (v: number, d = 1) => v.toFixed(d);
  return [
    '## Topics at runtime: one topic per user',
    '',
    `${r.users.toLocaleString('en')} streams, each on its own \`user.N\` topic of the family \`user.*\` and on one broadcast topic, attached to counting sinks through the system's port (bench/topics.ts; no sockets, so this is the topic machinery alone). ${r.notifies.toLocaleString('en')} notifies to random users.`,
    '',
    '| measure | value |',
    '|---|---|',
    `| CPU per notify to one user (memory transport) | ${n(r.memory.cpuPerUserNotifyUs)} µs |`,
    `| CPU per broadcast to all ${r.users.toLocaleString('en')} streams | ${n(r.memory.cpuPerBroadcastUs / 1000, 2)} ms (${n(r.memory.cpuPerBroadcastUs / r.users, 2)} µs per stream) |`,
    `| heap per user (its stream, its actor and its topic) | ${n(r.memory.heapPerTopicBytes / 1024)} KB |`,
    `| heap left after 100,000 notified-once topics were reclaimed | ${n(r.memory.heapLeftAfterReclaimBytes / 1e6, 2)} MB |`,
    `| Redis commands per notify, publishing node (two nodes, half the users each) | ${n(r.redis.commandsPerNotify.publisher, 2)} |`,
    `| Redis commands per notify, the subscriber's node (reads batch many events) | ${n(r.redis.commandsPerNotify.subscriberNode, 2)} |`,
    `| first subscriber of a topic on a node: attach to first write, 9-event replay (p50 / p99 of ${r.redis.samples}) | ${n(r.redis.firstSubscriberMs.p50)} / ${n(r.redis.firstSubscriberMs.p99)} ms |`,
    `| the same once the node follows the topic | ${n(r.redis.followedMs.p50)} / ${n(r.redis.followedMs.p99)} ms |`,
  ].join('\n');
}
