// The Redis transport against the memory transport, on the same server (bench/servers/sse-actors-redis.ts):
//   1. server CPU per delivered event, C streams × E-event burst (ratio redis / memory)
//   2. Redis commands per notified event per node (INFO commandstats): XADD, script calls, XREAD
//   3. delivered events/s with the streams on 1 node vs split over 2 nodes
//   4. notify-to-delivery p50/p99 (one event at a time, one stream): same node vs across nodes
//   5. this machine's raw XADD / XREAD rates (redis-benchmark)
// Standalone: node --import tsx bench/redis.ts (BENCH_QUICK=1: small sizes); also a scenario of
// bench/run.ts (BENCH_SCENARIOS=redis). Uses the shared 127.0.0.1:6379 with a prefix of its own,
// whose keys it deletes. Every loop is bounded in count and time.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { config } from './config.ts';
import { LoadClient } from './lib/processes.ts';
import { Server, cpuDelta } from './lib/server.ts';
import type { Target } from './targets.ts';

const run = promisify(execFile);
const CLIENT_CORE = 1;
const TOPIC = 't';
const PATH = '/sse?topic=t';

export interface RedisBenchResult {
  connections: number;
  events: number;
  cpuPerDeliveryUs: { memory: number; redis: number; ratio: number };
  perEvent: { xadd: number; script: number; xread: number; xtrim: number };
  deliveredPerSecond: { memory: number; oneNode: number; twoNodes: number };
  latencyMs: { sameNode: { p50: number; p99: number }; acrossNodes: { p50: number; p99: number }; samples: number };
  redisBenchmark: { xaddPerSecond: number; xreadPerSecond: number };
}

interface BurstReply {
  delivered: number;
  expected: number;
  complete: boolean;
  elapsedMs: number;
  publishedMs: number;
  p50: number;
  p99: number;
  max: number;
}

const target = (label: string): Target => ({ id: 'actors-stream', label, script: 'sse-actors-redis.ts' });

async function server(transport: 'memory' | 'redis', prefix: string, node: string): Promise<Server> {
  Object.assign(process.env, { BENCH_TRANSPORT: transport, BENCH_REDIS_PREFIX: prefix, BENCH_NODE: node });
  return Server.start(target(`sse-actors ${transport} ${node}`), ['--expose-gc']);
}

async function commandStats(): Promise<Record<string, number>> {
  const { stdout } = await run('redis-cli', ['info', 'commandstats'], { timeout: 10_000 });
  return Object.fromEntries([...stdout.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((m) => [m[1] as string, Number(m[2])]));
}

async function deleteKeys(prefix: string): Promise<void> {
  const { stdout } = await run('redis-cli', ['--scan', '--pattern', `${prefix}*`], { timeout: 10_000 });
  for (const key of stdout.split('\n').filter(Boolean)) await run('redis-cli', ['del', key], { timeout: 10_000 });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function redisBench(log: (line: string) => void = console.log): Promise<RedisBenchResult> {
  const quick = config.quick;
  const connections = Number(process.env.BENCH_REDIS_CONNECTIONS ?? (quick ? 200 : 2000));
  const events = Number(process.env.BENCH_REDIS_EVENTS ?? (quick ? 100 : 500));
  const samples = quick ? 50 : 200;
  const prefix = `bench-redis:${process.pid}:`;
  const body = 'x'.repeat(config.payloadBytes);
  const timeoutMs = 120_000;
  const client = await LoadClient.start(CLIENT_CORE);
  const servers: Server[] = [];
  const burst = (port: number, count: number) => client.send<BurstReply>({ type: 'burst', port, topic: TOPIC, count, timeoutMs, body }, timeoutMs + 10_000);
  const open = async (port: number, count: number) => client.send({ type: 'open', port, path: PATH, count, concurrency: config.openConcurrency, timeoutMs: 60_000 }, 70_000);
  try {
    // 1 and 2: one node, the same burst on each transport.
    const cpu: Record<string, number> = {};
    const rate: Record<string, number> = {};
    let perEvent = { xadd: 0, script: 0, xread: 0, xtrim: 0 };
    for (const transport of ['memory', 'redis'] as const) {
      const one = await server(transport, `${prefix}${transport}:`, 'a');
      servers.push(one);
      await open(one.port, connections);
      await one.waitForConnections(connections, 60_000);
      await burst(one.port, Math.min(50, events)); // warm-up
      await one.stats();
      const before = await one.stats(false);
      const calls0 = transport === 'redis' ? await commandStats() : {};
      const r = await burst(one.port, events);
      const calls1 = transport === 'redis' ? await commandStats() : {};
      const after = await one.stats(false);
      if (!r.complete) throw new Error(`${transport}: ${r.delivered} of ${r.expected} delivered`);
      cpu[transport] = cpuDelta(before, after) / r.delivered; // µs
      rate[transport] = (r.delivered / r.elapsedMs) * 1000;
      const delta = (name: string) => ((calls1[name] ?? 0) - (calls0[name] ?? 0)) / events;
      if (transport === 'redis') perEvent = { xadd: delta('xadd'), script: delta('evalsha') + delta('eval'), xread: delta('xread'), xtrim: delta('xtrim') };
      log(`redis  ${transport.padEnd(6)} 1 node: ${r.delivered} deliveries in ${r.elapsedMs.toFixed(0)} ms, ${cpu[transport]?.toFixed(2)} µs CPU each, p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms`);
      await client.send({ type: 'close' }, 30_000);
      await one.stop();
      servers.pop();
    }
    log(`redis  commands per event: ${JSON.stringify(perEvent)}`);

    // 3: the same streams split over two nodes, publishing on the first.
    const a = await server('redis', `${prefix}two:`, 'a');
    const b = await server('redis', `${prefix}two:`, 'b');
    servers.push(a, b);
    await open(a.port, connections / 2);
    await open(b.port, connections / 2);
    await a.waitForConnections(connections / 2, 60_000);
    await b.waitForConnections(connections / 2, 60_000);
    await burst(a.port, Math.min(50, events));
    const two = await burst(a.port, events);
    if (!two.complete) throw new Error(`two nodes: ${two.delivered} of ${two.expected} delivered`);
    const twoNodes = (two.delivered / two.elapsedMs) * 1000;
    log(`redis  2 nodes: ${two.delivered} deliveries in ${two.elapsedMs.toFixed(0)} ms (${twoNodes.toFixed(0)}/s)`);
    await client.send({ type: 'close' }, 30_000);

    // 4: one stream, one event at a time, published on a: the stream on a, then on b.
    const latency = async (port: number) => {
      await open(port, 1);
      const seen: number[] = [];
      for (let n = 0; n < samples; n++) seen.push((await burst(a.port, 1)).max);
      await client.send({ type: 'close' }, 30_000);
      seen.sort((x, y) => x - y);
      return { p50: percentile(seen, 50), p99: percentile(seen, 99) };
    };
    const sameNode = await latency(a.port);
    const acrossNodes = await latency(b.port);
    log(`redis  notify → delivery: same node p50 ${sameNode.p50.toFixed(2)} p99 ${sameNode.p99.toFixed(2)} ms; across nodes p50 ${acrossNodes.p50.toFixed(2)} p99 ${acrossNodes.p99.toFixed(2)} ms`);

    // 5: what this Redis does alone (50 clients, no pipelining).
    const key = `${prefix}rb:{x}`;
    const n = quick ? '20000' : '100000';
    const rb = async (...command: string[]) => {
      const { stdout } = await run('redis-benchmark', ['-q', '-n', n, '-c', '50', ...command], { timeout: 120_000 });
      return Number(/([\d.]+) requests per second/.exec(stdout)?.[1] ?? 0);
    };
    const xaddPerSecond = await rb('XADD', key, 'MAXLEN', '~', '1000', '*', 'i', '1', 't', body);
    const xreadPerSecond = await rb('XREAD', 'COUNT', '10', 'STREAMS', key, '0');
    log(`redis  redis-benchmark: XADD ${xaddPerSecond.toFixed(0)}/s, XREAD COUNT 10 ${xreadPerSecond.toFixed(0)}/s`);

    const memory = cpu.memory ?? 0;
    const redis = cpu.redis ?? 0;
    return {
      connections,
      events,
      cpuPerDeliveryUs: { memory, redis, ratio: redis / memory },
      perEvent,
      deliveredPerSecond: { memory: rate.memory ?? 0, oneNode: rate.redis ?? 0, twoNodes },
      latencyMs: { sameNode, acrossNodes, samples },
      redisBenchmark: { xaddPerSecond, xreadPerSecond },
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await client.stop();
    await deleteKeys(prefix);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await redisBench();
  console.log(JSON.stringify(result, null, 1));
}
