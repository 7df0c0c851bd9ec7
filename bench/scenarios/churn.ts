// Churn: connect → first bytes → disconnect, many times; cycles/s and the heap after vs before.
// The heap is sampled (after a full GC, with no connection left) after a warm-up and after the
// timed run; a second, untimed run samples it after each of `SEGMENTS` equal parts, so a steady leak
// shows as a slope and not only as a difference.
import { Server, cpuDelta } from '../lib/server.ts';
import { SSE_PATH, type ScenarioContext } from './types.ts';

interface ChurnReply {
  cycles: number;
  failed: number;
  ms: number;
  perSecond: number;
  failures: string[];
}

export interface ChurnResult {
  cycles: number;
  failed: number;
  perSecond: number;
  heapBefore: number;
  heapAfter: number;
  /** (heap after − heap before) / cycles, bytes; after a warm-up and a full GC on both sides. */
  heapGrowthPerCycle: number;
  /** Least-squares slope of the heap over the checkpoints, bytes per cycle. */
  heapSlopePerCycle: number;
  rssGrowthPerCycle: number;
  /** Server CPU (user + system) per cycle, µs: the cost of one connect/disconnect on the server. */
  cpuPerCycleUs: number;
  checkpoints: Array<{ cycles: number; heapUsed: number; rss: number }>;
  /** Cycles/s of every round (each a fresh server); the fields above are the median round's, but for the slope (first round). */
  rounds?: number[];
}

/**
 * The round with the median rate (the lower middle one of an even count), with every round's rate;
 * the heap slope and its checkpoints come from the first round, the one that measures them.
 */
export function medianChurn(runs: readonly ChurnResult[]): ChurnResult {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as ChurnResult;
  const first = runs[0] as ChurnResult;
  return { ...median, heapSlopePerCycle: first.heapSlopePerCycle, checkpoints: first.checkpoints, rounds: runs.map((r) => r.perSecond) };
}

const SEGMENTS = 4;

function slope(points: Array<{ x: number; y: number }>): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/**
 * One churn measurement on a fresh server. The timed run is uninterrupted: a heap checkpoint forces
 * full GCs, which cost every target for a while afterwards (on this machine raw node:http went from
 * about 157 to 225 µs of CPU per cycle with one every 2,500 cycles, and the JS-heavier servers more),
 * so checkpoints are taken only before and after it. With `withSlope`, a second run of the same length
 * in `SEGMENTS` parts, with a checkpoint after each, then shows whether the heap keeps growing.
 */
export async function churn(ctx: ScenarioContext, withSlope = true): Promise<ChurnResult> {
  const { cycles, concurrency, warmup } = ctx.config.churn;
  const server = await Server.start(ctx.target, ctx.nodeArgs);
  const run = (n: number) =>
    ctx.client.send<ChurnReply>({ type: 'churn', port: server.port, path: SSE_PATH, cycles: n, concurrency, timeoutMs: 120_000 }, 130_000);
  try {
    if (warmup > 0) await run(warmup);
    const checkpoints: ChurnResult['checkpoints'] = [];
    const checkpoint = async (done: number) => {
      await server.waitForConnections(0, 30_000);
      const { heapUsed, rss } = await server.stats();
      checkpoints.push({ cycles: done, heapUsed, rss });
    };
    await checkpoint(0);
    // The checkpoint's forced full GCs are followed by a settle run, untimed: straight after them
    // every target was slower for a few thousand cycles (V8 set the next full GC close to the tiny
    // live heap, and more of it ran during the window), the JS-heavier servers about twice as much
    // (raw node:http +10 µs a cycle over 10,000, system.stream +20), which no server in production
    // pays. Its cycles count in the heap growth below, as they ran between the two checkpoints.
    const settled = warmup > 0 ? await run(Math.ceil(warmup / 2)) : { cycles: 0 };
    const before = await server.stats(false);
    const timed = await run(cycles);
    await server.waitForConnections(0, 30_000);
    const cpu = cpuDelta(before, await server.stats(false));
    if (timed.failed > 0) ctx.log(`${timed.failed} failed cycles: ${timed.failures.slice(0, 3).join('; ')}`);
    const between = settled.cycles + timed.cycles; // cycles run between the first two checkpoints
    await checkpoint(between);
    const [first, afterTimed] = checkpoints as [ChurnResult['checkpoints'][number], ChurnResult['checkpoints'][number]];
    let done = between;
    if (withSlope) {
      for (let s = 1; s <= SEGMENTS; s++) {
        const r = await run(Math.round((cycles * s) / SEGMENTS) - Math.round((cycles * (s - 1)) / SEGMENTS));
        done += r.cycles;
        await checkpoint(done);
      }
    }
    const result = {
      cycles: timed.cycles,
      failed: timed.failed,
      perSecond: timed.perSecond,
      heapBefore: first.heapUsed,
      heapAfter: afterTimed.heapUsed,
      heapGrowthPerCycle: (afterTimed.heapUsed - first.heapUsed) / between,
      heapSlopePerCycle: slope(checkpoints.map((c) => ({ x: c.cycles, y: c.heapUsed }))),
      rssGrowthPerCycle: (afterTimed.rss - first.rss) / between,
      cpuPerCycleUs: cpu / timed.cycles,
      checkpoints,
    };
    ctx.log(`${result.perSecond.toFixed(0)} cycles/s, ${result.cpuPerCycleUs.toFixed(0)} µs server CPU/cycle, heap ${result.heapGrowthPerCycle.toFixed(1)} B/cycle` +
      (withSlope ? ` (slope over ${done} cycles ${result.heapSlopePerCycle.toFixed(1)})` : ''));
    return result;
  } finally {
    await server.stop();
  }
}
