// Churn: connect → first bytes → disconnect, many times; cycles/s and the heap after vs before.
// The heap is sampled (after a full GC, with no connection left) after a warm-up and after each of
// `segments` equal parts of the run, so a steady leak shows as a slope and not only as a difference.
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
  /** Cycles/s of each segment (the run is cut in equal segments with a heap sample after each). */
  segmentPerSecond: number[];
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
  /** Cycles/s of every round (each a fresh server); the fields above are the median round's. */
  rounds?: number[];
}

/** The round with the median rate (the lower middle one of an even count), with every round's rate. */
export function medianChurn(runs: readonly ChurnResult[]): ChurnResult {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as ChurnResult;
  return { ...median, rounds: runs.map((r) => r.perSecond) };
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

export async function churn(ctx: ScenarioContext): Promise<ChurnResult> {
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
    let done = 0;
    let failed = 0;
    let ms = 0;
    let cpu = 0;
    const segmentPerSecond: number[] = [];
    for (let s = 1; s <= SEGMENTS; s++) {
      const before = await server.stats(false);
      const r = await run(Math.round((cycles * s) / SEGMENTS) - Math.round((cycles * (s - 1)) / SEGMENTS));
      await server.waitForConnections(0, 30_000);
      cpu += cpuDelta(before, await server.stats(false));
      done += r.cycles;
      failed += r.failed;
      ms += r.ms;
      segmentPerSecond.push(r.perSecond);
      if (r.failed > 0) ctx.log(`${r.failed} failed cycles: ${r.failures.slice(0, 3).join('; ')}`);
      await checkpoint(done);
    }
    const first = checkpoints[0] as ChurnResult['checkpoints'][number];
    const last = checkpoints[checkpoints.length - 1] as ChurnResult['checkpoints'][number];
    const result = {
      cycles: done,
      failed,
      perSecond: (done / ms) * 1000,
      segmentPerSecond,
      heapBefore: first.heapUsed,
      heapAfter: last.heapUsed,
      heapGrowthPerCycle: (last.heapUsed - first.heapUsed) / done,
      heapSlopePerCycle: slope(checkpoints.map((c) => ({ x: c.cycles, y: c.heapUsed }))),
      rssGrowthPerCycle: (last.rss - first.rss) / done,
      cpuPerCycleUs: cpu / done,
      checkpoints,
    };
    ctx.log(`${result.perSecond.toFixed(0)} cycles/s (segments ${segmentPerSecond.map((x) => x.toFixed(0)).join(' ')}), ${result.cpuPerCycleUs.toFixed(0)} µs server CPU/cycle, heap ${result.heapGrowthPerCycle.toFixed(1)} B/cycle (slope ${result.heapSlopePerCycle.toFixed(1)})`);
    return result;
  } finally {
    await server.stop();
  }
}
