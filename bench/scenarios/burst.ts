// Burst: C streams on one topic; one POST publishes E events in one synchronous loop; timed until
// every stream has all E. Repeated; the median run (by deliveries/s) is the result.
import { Server, cpuDelta } from '../lib/server.ts';
import { openStreams, TOPIC, type ScenarioContext } from './types.ts';

interface BurstReply {
  streams: number;
  count: number;
  expected: number;
  delivered: number;
  complete: boolean;
  incompleteStreams: number;
  publishedMs: number;
  elapsedMs: number;
  p50: number;
  p99: number;
  max: number;
  clientCpuMs: number;
}

export interface BurstRun {
  deliveredPerSecond: number;
  elapsedMs: number;
  /** When the publish request was answered (the server's synchronous loop is done). */
  publishedMs: number;
  delivered: number;
  expected: number;
  complete: boolean;
  cpuPerDeliveryUs: number;
  p50: number;
  p99: number;
  clientCpuShare: number;
}

export interface BurstResult extends BurstRun {
  connections: number;
  events: number;
  runs: BurstRun[];
}

export async function burst(ctx: ScenarioContext): Promise<BurstResult> {
  const { connections, events, repeat } = ctx.config.burst;
  const server = await Server.start(ctx.target, ctx.nodeArgs);
  const timeoutMs = 60_000;
  try {
    await openStreams(ctx, server.port, connections, connections);
    await server.waitForConnections(connections, 30_000);
    await ctx.client.send({ type: 'burst', port: server.port, topic: TOPIC, count: Math.min(50, events), timeoutMs, body: ctx.body }, timeoutMs + 10_000);
    const runs: BurstRun[] = [];
    for (let i = 0; i < repeat; i++) {
      await server.stats(); // start each run from a collected heap
      const before = await server.stats(false);
      const r = await ctx.client.send<BurstReply>({ type: 'burst', port: server.port, topic: TOPIC, count: events, timeoutMs, body: ctx.body }, timeoutMs + 10_000);
      const after = await server.stats(false);
      const run: BurstRun = {
        deliveredPerSecond: (r.delivered / r.elapsedMs) * 1000,
        elapsedMs: r.elapsedMs,
        publishedMs: r.publishedMs,
        delivered: r.delivered,
        expected: r.expected,
        complete: r.complete,
        cpuPerDeliveryUs: cpuDelta(before, after) / r.delivered,
        p50: r.p50,
        p99: r.p99,
        clientCpuShare: r.clientCpuMs / r.elapsedMs,
      };
      runs.push(run);
      ctx.log(
        `run ${i + 1}: ${(run.deliveredPerSecond / 1e6).toFixed(2)}M deliveries/s (${run.elapsedMs.toFixed(0)} ms), ` +
          `${run.cpuPerDeliveryUs.toFixed(3)} µs CPU/delivery, p99 ${run.p99.toFixed(0)} ms, client ${(run.clientCpuShare * 100).toFixed(0)}%` +
          (run.complete ? '' : ` — INCOMPLETE: ${r.delivered}/${r.expected}`),
      );
    }
    await ctx.client.send({ type: 'close' }, 30_000);
    const median = [...runs].sort((a, b) => a.deliveredPerSecond - b.deliveredPerSecond)[Math.floor(runs.length / 2)] as BurstRun;
    return { connections, events, ...median, runs };
  } finally {
    await server.stop();
  }
}
