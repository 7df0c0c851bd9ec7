// Every count and duration of `npm run bench`, from the environment. BENCH_QUICK=1 picks small
// defaults for a smoke run (< 60 s); any BENCH_* variable below overrides either set.

import { execFileSync } from 'node:child_process';
import os from 'node:os';

const env = process.env;
export const QUICK = env.BENCH_QUICK === '1';

function int(name: string, full: number, quick: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return QUICK ? quick : full;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

function list(name: string, full: string[], quick: string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return QUICK ? quick : full;
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

export const config = {
  quick: QUICK,
  /** Which targets and scenarios run (ids, comma-separated). */
  targets: list('BENCH_TARGETS', [], []),
  scenarios: list('BENCH_SCENARIOS', ['idle', 'fanout', 'burst', 'churn', 'redis', 'scale', 'storm', 'h2', 'topics'], ['idle', 'fanout', 'burst', 'churn', 'redis', 'scale', 'storm', 'h2', 'topics']),
  /** Bytes of filler after each payload's `ts=… seq=…` header. */
  payloadBytes: int('BENCH_PAYLOAD_BYTES', 64, 64),
  idle: {
    connections: int('BENCH_IDLE_CONNECTIONS', 10_000, 1000),
    /** Memory is sampled after each of this many equal steps (the memory-vs-connections plot). */
    steps: int('BENCH_IDLE_STEPS', 5, 2),
  },
  fanout: {
    connections: int('BENCH_FANOUT_CONNECTIONS', 2000, 200),
    rates: list('BENCH_FANOUT_RATES', ['25', '50', '100', '200', '500', '1000', '2000', '5000'], ['100', '500']).map(Number),
    stepMs: int('BENCH_FANOUT_STEP_MS', 5000, 1000),
    /** How long delivery may lag behind the last publish of a step before the step counts as behind. */
    drainMs: int('BENCH_FANOUT_DRAIN_MS', 2000, 1000),
    /** A step whose p99 latency exceeds this is behind too. */
    maxP99Ms: int('BENCH_FANOUT_MAX_P99_MS', 500, 500),
  },
  burst: {
    connections: int('BENCH_BURST_CONNECTIONS', 1000, 200),
    events: int('BENCH_BURST_EVENTS', 1000, 200),
    /** Measured bursts per target (after one small warm-up burst); the median is reported. */
    repeat: int('BENCH_BURST_REPEAT', 3, 1),
  },
  churn: {
    cycles: int('BENCH_CHURN_CYCLES', 10_000, 1000),
    concurrency: int('BENCH_CHURN_CONCURRENCY', 32, 16),
    /** Cycles before the first heap sample, so lazily built caches are not counted as growth. */
    warmup: int('BENCH_CHURN_WARMUP', 5000, 500),
    /** Rounds, every target once per round; each target reports its median round. */
    rounds: Math.max(1, int('BENCH_CHURN_ROUNDS', 3, 1)),
  },
  scale: {
    /** Streams per level (in total: one process, or spread over `processes`); capped below the descriptor limit. */
    levels: list('BENCH_SCALE_LEVELS', ['1000', '2000', '5000', '10000', '18000'], ['500', '1000', '2000']).map(Number),
    /** Events published one at a time to every stream at each level (p50/p99 are the median's, max the largest). */
    events: int('BENCH_SCALE_EVENTS', 5, 2),
    /** Worker processes (cluster) and nodes (Redis) the same totals are spread over. @default the cores */
    processes: int('BENCH_SCALE_PROCESSES', os.cpus().length, os.cpus().length),
    /** Which layouts run: raw, actors-stream, actors-koa, koa-floor (Koa's own cost: raw's loop in Koa; one process each), cluster, redis. */
    layouts: list('BENCH_SCALE_LAYOUTS', ['raw', 'actors-stream', 'actors-koa', 'koa-floor', 'cluster', 'redis'], ['raw', 'actors-stream', 'actors-koa', 'koa-floor', 'cluster', 'redis']),
    /** Streams per client source address (127.0.0.2, .3, …): well below one address's ~28k ephemeral ports (binding slows as they fill). */
    perSource: int('BENCH_SCALE_PER_SOURCE', 4000, 4000),
    /** Rounds: every layout is measured this many times, interleaved (raw, system.stream, …, then again), and each figure is the median of its rounds. */
    rounds: Math.max(1, int('BENCH_SCALE_ROUNDS', 3, 1)),
    /** First client source address after 127.0.0.1 (+1): runs started back to back pick different ones, so the last run's TIME_WAIT ports do not slow this run's connects. */
    sourceBase: int('BENCH_SCALE_SOURCE_BASE', 0, 0),
    /** Streams per batch of the paired connects (scale-connect.ts): every one-process layout at once, batches taken in turn; 0 skips them. */
    pairedBatch: int('BENCH_SCALE_PAIRED_BATCH', 1000, 250),
    /** Passes of the paired connects: each opens from the level below the top to the top, then closes back. */
    pairedPasses: Math.max(1, int('BENCH_SCALE_PAIRED_PASSES', 5, 1)),
    /** The servers' keep-alive interval in this scenario, ms: past any layout's measurement, so no sweep of comments falls inside one (scale.ts). */
    keepAliveMs: int('BENCH_SCALE_KEEPALIVE_MS', 600_000, 600_000),
  },
  /** Descriptors this process (and the servers and client it starts) may open: `ulimit -n`. */
  nofile: (() => {
    try {
      return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) || 1024;
    } catch {
      return 1024;
    }
  })(),
  /** Connections opened at once while ramping up. */
  openConcurrency: int('BENCH_OPEN_CONCURRENCY', 200, 100),
  /** Target ids (comma-separated) whose servers run with --cpu-prof (bench/results/profiles/<scenario>-<target>/). */
  cpuProf: env.BENCH_CPU_PROF ?? '',
  /** Where the JSON goes; the docs are written only from a full run unless BENCH_DOCS=1. */
  out: env.BENCH_OUT ?? (QUICK ? 'bench/results/quick.json' : 'bench/results/latest.json'),
  docs: env.BENCH_DOCS === undefined ? !QUICK : env.BENCH_DOCS === '1',
};

export type Config = typeof config;
