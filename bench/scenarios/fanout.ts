// Fan-out: C streams on one topic, events published one POST each at rising paced rates, a few
// seconds per rate, until delivery falls behind (not drained in time, or p99 over the limit).
import { Server, cpuDelta } from '../lib/server.ts';
import { openStreams, TOPIC, type ScenarioContext } from './types.ts';

interface PacedReply {
  rate: number;
  streams: number;
  sent: number;
  expected: number;
  delivered: number;
  deliveredInWindow: number;
  publishMs: number;
  totalMs: number;
  drained: boolean;
  sendRate: number;
  p50: number;
  p99: number;
  max: number;
  clientCpuMs: number;
  errors: string[];
}

export interface FanoutStep {
  /** Offered events/s (each goes to every stream). */
  rate: number;
  sent: number;
  /** Deliveries per second while publishing (events × streams). */
  deliveredPerSecond: number;
  delivered: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  /** Server CPU (user + system) per delivered event, µs. */
  cpuPerDeliveryUs: number;
  /** Server CPU used, as a share of one core, over the step. */
  serverCpuShare: number;
  /** Load-client CPU as a share of one core (near 1 means the client, not the server, was the limit). */
  clientCpuShare: number;
  sendRate: number;
  sustained: boolean;
  why: string;
}

export interface FanoutResult {
  connections: number;
  steps: FanoutStep[];
  /** The highest rate delivered without falling behind. */
  maxSustainedRate: number;
}

export async function fanout(ctx: ScenarioContext): Promise<FanoutResult> {
  const { connections, rates, stepMs, drainMs, maxP99Ms } = ctx.config.fanout;
  const server = await Server.start(ctx.target, ctx.nodeArgs);
  try {
    await openStreams(ctx, server.port, connections, connections);
    await server.waitForConnections(connections, 30_000);
    // Warm-up: a few events so that the first step does not pay for compilation.
    await ctx.client.send({ type: 'paced', port: server.port, topic: TOPIC, rate: 100, durationMs: 200, drainMs, body: ctx.body }, 60_000);
    const steps: FanoutStep[] = [];
    let maxSustainedRate = 0;
    for (const rate of rates) {
      const before = await server.stats(false);
      const r = await ctx.client.send<PacedReply>(
        { type: 'paced', port: server.port, topic: TOPIC, rate, durationMs: stepMs, drainMs, body: ctx.body },
        stepMs * 3 + drainMs + 30_000,
      );
      const after = await server.stats(false);
      const cpu = cpuDelta(before, after);
      let why = '';
      if (r.errors.length > 0) why = `publish errors: ${r.errors.join('; ')}`;
      else if (!r.drained) why = `${r.expected - r.delivered} of ${r.expected} deliveries missing ${drainMs} ms after the last publish`;
      else if (r.deliveredInWindow < r.expected * 0.9)
        why = `only ${((r.deliveredInWindow / r.expected) * 100).toFixed(0)}% of the deliveries arrived while publishing (the rest after)`;
      else if (r.p99 > maxP99Ms) why = `p99 ${r.p99.toFixed(0)} ms > ${maxP99Ms} ms`;
      else if (r.sendRate < rate * 0.9) why = `the server answered publishes at only ${r.sendRate.toFixed(0)} events/s (64 POSTs pending)`;
      const step: FanoutStep = {
        rate,
        sent: r.sent,
        deliveredPerSecond: (r.deliveredInWindow / r.publishMs) * 1000,
        delivered: r.delivered,
        expected: r.expected,
        p50: r.p50,
        p99: r.p99,
        max: r.max,
        cpuPerDeliveryUs: r.delivered > 0 ? cpu / r.delivered : Number.NaN,
        serverCpuShare: cpu / 1000 / r.totalMs,
        clientCpuShare: r.clientCpuMs / r.totalMs,
        sendRate: r.sendRate,
        sustained: why === '',
        why,
      };
      steps.push(step);
      ctx.log(
        `${rate} ev/s: ${(step.deliveredPerSecond / 1000).toFixed(0)}k deliveries/s, p50 ${step.p50.toFixed(2)} ms, p99 ${step.p99.toFixed(2)} ms, ` +
          `${step.cpuPerDeliveryUs.toFixed(2)} µs CPU/delivery, server ${(step.serverCpuShare * 100).toFixed(0)}% client ${(step.clientCpuShare * 100).toFixed(0)}%` +
          (why ? ` — behind: ${why}` : ''),
      );
      if (!step.sustained) break;
      maxSustainedRate = rate;
    }
    await ctx.client.send({ type: 'close' }, 30_000);
    return { connections, steps, maxSustainedRate };
  } finally {
    await server.stop();
  }
}
