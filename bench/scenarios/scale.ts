// Scale: the cost curve of holding more streams. On each layout (raw node:http, system.stream and
// Koa in one process; system.stream over N cluster workers; N nodes on Redis) streams are opened
// level by level (1k, 2k, 5k, 10k, 18k in total, below the descriptor limit). At each level: heap
// and RSS per stream after a full GC (summed over the layout's processes), connects/s and server
// CPU per connect over that level's openings, then `events` events published one at a time, each
// timed until every stream has it (p50/p99/max latency, server CPU per delivery), then `events` more
// timed on the server side with the load client stopped (scale-fan-out.ts). Layouts are
// measured in interleaved rounds (BENCH_SCALE_ROUNDS, 3) and each figure is the median of its rounds.
// With the cluster layout, a last step writes in turn to one process holding the top level's share,
// to N such processes at once (the machine's parallel floor) and to a cluster holding it all.
// Standalone: BENCH_SCENARIOS=scale npm run bench. Every loop is bounded in count and time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { config } from '../config.ts';
import { ContentionMonitor } from '../lib/contention.ts';
import { LAYOUT_LABELS, startFleet, type Fleet, type LayoutId } from '../lib/fleet.ts';
import { waitForQuiet } from '../lib/machine.ts';
import { LoadClient } from '../lib/processes.ts';
import { cpuDelta, waitForConnections } from '../lib/server.ts';
import { pairedConnects, type PairedConnects } from './scale-connect.ts';
import { median, parallelFloor, serverFanOut, type ParallelFloor } from './scale-fan-out.ts';
import { SSE_PATH, TOPIC } from './types.ts';

export interface ScaleLevel {
  streams: number;
  heapUsed: number;
  rss: number;
  heapPerStream: number;
  rssPerStream: number;
  connectsPerSecond: number;
  cpuPerConnectUs: number;
  /** One event to every stream, the median event's p50 and p99 and the largest max, ms. */
  p50: number;
  p99: number;
  max: number;
  cpuPerDeliveryUs: number;
  /** Of the CPU per connect and per delivery, the part spent in garbage collection (µs). */
  gcPerConnectUs: number;
  gcPerDeliveryUs: number;
  delivered: number;
  expected: number;
  /** Load-client CPU over the events as a share of one core (near 1: the client was the limit). */
  clientCpuShare: number;
  /**
   * One event to every stream on the server side, the median of `events` more events, ms: from its
   * publish until every process had written it to all its streams, with the load client stopped
   * (scale-fan-out.ts). On the Redis nodes, from the publish on node 0 until the last node's last write.
   */
  fanOutMs?: number;
}

export interface ScaleLayout {
  id: LayoutId;
  label: string;
  processes: number;
  /** Each figure: the median of the rounds that measured its level. */
  levels: ScaleLevel[];
  /** Every layout of one run, in its rounds (server CPU per connect at each level, µs: how much the rounds differed). */
  rounds?: Array<{ cpuPerConnectUs: number[]; cpuPerDeliveryUs: number[]; error?: string }>;
  /** Set when no round measured anything. */
  error?: string;
}

export interface ScaleResult {
  startedAt: string;
  durationS: number;
  quick: boolean;
  cores: number;
  limits: { nofile: number; nofileHard: string; ephemeralPorts: string; somaxconn: number; memoryGiB: number };
  /** Client source addresses used (127.0.0.2 …). */
  sources: number;
  /** The servers' keep-alive interval during the scenario, ms (absent in runs made before it was set). */
  keepAliveMs?: number;
  events: number;
  /** Interleaved rounds per layout (each figure: the median of its rounds). Absent in runs made before rounds. */
  rounds?: number;
  levels: number[];
  layouts: ScaleLayout[];
  /** Share of the machine's CPU other processes used, per layout: the machine is shared. */
  busy: Array<{ layout: string; before: number; mean: number; max: number }>;
  /** With the cluster layout: N independent processes at once against one alone (scale-fan-out.ts). */
  parallelFloor?: ParallelFloor;
  parallelFloorError?: string;
  /** The one-process layouts opening the top level at once, in batches taken in turn (scale-connect.ts). */
  pairedConnects?: PairedConnects;
  pairedConnectsError?: string;
}

interface BurstReply {
  delivered: number;
  expected: number;
  complete: boolean;
  elapsedMs: number;
  p50: number;
  p99: number;
  max: number;
  clientCpuMs: number;
}

const CLIENT_CORE = 1;
const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return 'unknown';
  }
};

/** Streams opened, sent one event and closed before the empty heap is read. */
const WARM_UP_STREAMS = 500;

/**
 * Opens `count` streams over the fleet, sends them one event, closes them and waits until none is
 * left. The code a stream runs is then compiled and the caches it fills exist, so heap per stream
 * at each level is what one more stream costs, not the process's one-time costs spread over the
 * first level (which made 1k look 7–14% dearer per stream than 18k).
 */
async function warmUp(fleet: Fleet, client: LoadClient, count: number, sources: number, sourceOffset: number, body: string, id: string): Promise<void> {
  for (const [n, port] of fleet.ports.entries()) {
    const share = Math.floor((count * (n + 1)) / fleet.ports.length) - Math.floor((count * n) / fleet.ports.length);
    const r = await client.send<{ open: number; failures: string[] }>({ type: 'open', port, path: SSE_PATH, count: share, concurrency: config.openConcurrency, timeoutMs: 30_000, sources, sourceOffset }, 40_000);
    if (r.failures.length > 0) throw new Error(`warm-up: ${r.failures.slice(0, 3).join('; ')}`);
  }
  await waitForConnections((gc) => fleet.stats(gc), count, 60_000, `${id} warm-up`);
  await client.send({ type: 'burst', port: fleet.publishPort, topic: TOPIC, count: 1, timeoutMs: 60_000, body }, 70_000);
  await client.send({ type: 'close' }, 10_000);
  await waitForConnections((gc) => fleet.stats(gc), 0, 60_000, `${id} warm-up close`);
}

async function measureLayout(id: LayoutId, levels: number[], sources: number, sourceOffset: number, log: (line: string) => void): Promise<ScaleLayout> {
  const { processes, events } = config.scale;
  const layout: ScaleLayout = { id, label: LAYOUT_LABELS[id], processes: id === 'cluster' || id === 'redis' ? processes : 1, levels: [] };
  // The processes that write streams and count their fan-outs: the cluster's workers, the Redis nodes, or the one server.
  const counting = id === 'cluster' || id === 'redis' ? processes : 1;
  const client = await LoadClient.start(CLIENT_CORE);
  let fleet: Fleet | undefined;
  const body = 'x'.repeat(config.payloadBytes);
  try {
    // BENCH_CPU_PROF=<layout,…>: that layout's processes write V8 profiles (bench/results/profiles/scale-<layout>/).
    const profile = config.cpuProf.split(',').includes(id) ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve('bench/results/profiles', `scale-${id}`)}`] : [];
    fleet = await startFleet(id, processes, os.cpus().length, profile);
    await warmUp(fleet, client, Math.min(WARM_UP_STREAMS, levels[0] ?? WARM_UP_STREAMS), sources, sourceOffset, body, id);
    const empty = await fleet.stats(true);
    let open = 0;
    for (const level of levels) {
      const need = level - open;
      const before = await fleet.stats(false);
      const started = performance.now();
      for (const [n, port] of fleet.ports.entries()) {
        const share = Math.floor((need * (n + 1)) / fleet.ports.length) - Math.floor((need * n) / fleet.ports.length);
        const timeoutMs = 30_000 + share * 10;
        const r = await client.send<{ open: number; failures: string[] }>({ type: 'open', port, path: SSE_PATH, count: share, concurrency: config.openConcurrency, timeoutMs, sources, sourceOffset }, timeoutMs + 10_000);
        if (r.failures.length > 0) throw new Error(`opening streams: ${r.failures.slice(0, 3).join('; ')}`);
      }
      await waitForConnections((gc) => (fleet as Fleet).stats(gc), level, 60_000, id);
      const openMs = performance.now() - started;
      const after = await fleet.stats(false);
      open = level;
      const memory = await fleet.stats(true);
      if (layout.levels.length === 0) await client.send({ type: 'burst', port: fleet.publishPort, topic: TOPIC, count: 1, timeoutMs: 60_000, body }, 70_000); // warm-up
      const runs: Array<BurstReply & { cpu: number; gc: number }> = [];
      for (let e = 0; e < events; e++) {
        const s0 = await fleet.stats(false);
        const r = await client.send<BurstReply>({ type: 'burst', port: fleet.publishPort, topic: TOPIC, count: 1, timeoutMs: 60_000, body }, 70_000);
        const s1 = await fleet.stats(false);
        if (!r.complete) throw new Error(`${r.delivered} of ${r.expected} deliveries within 60 s`);
        runs.push({ ...r, cpu: cpuDelta(s0, s1), gc: s1.gcUs - s0.gcUs });
      }
      const fanOuts: number[] = [];
      for (let e = 0; e < events && counting > 0; e++) fanOuts.push(await serverFanOut(fleet, client, counting, body));
      const delivered = runs.reduce((n, r) => n + r.delivered, 0);
      const point: ScaleLevel = {
        streams: level,
        heapUsed: memory.heapUsed,
        rss: memory.rss,
        heapPerStream: (memory.heapUsed - empty.heapUsed) / level,
        rssPerStream: (memory.rss - empty.rss) / level,
        connectsPerSecond: (need / openMs) * 1000,
        cpuPerConnectUs: cpuDelta(before, after) / need,
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        max: Math.max(...runs.map((r) => r.max)),
        cpuPerDeliveryUs: runs.reduce((n, r) => n + r.cpu, 0) / delivered,
        gcPerConnectUs: (after.gcUs - before.gcUs) / need,
        gcPerDeliveryUs: runs.reduce((n, r) => n + r.gc, 0) / delivered,
        delivered,
        expected: runs.reduce((n, r) => n + r.expected, 0),
        clientCpuShare: runs.reduce((n, r) => n + r.clientCpuMs, 0) / runs.reduce((n, r) => n + r.elapsedMs, 0),
        ...(fanOuts.length > 0 ? { fanOutMs: median(fanOuts) } : {}),
      };
      layout.levels.push(point);
      log(
        `scale  ${id.padEnd(13)} ${String(level).padStart(6)} streams: heap ${(point.heapPerStream / 1024).toFixed(2)} KB, rss ${(point.rssPerStream / 1024).toFixed(2)} KB /stream; ` +
          `${point.connectsPerSecond.toFixed(0)} connects/s, ${point.cpuPerConnectUs.toFixed(0)} µs CPU/connect (GC ${point.gcPerConnectUs.toFixed(0)}); one event to all p50 ${point.p50.toFixed(0)} p99 ${point.p99.toFixed(0)} max ${point.max.toFixed(0)} ms, ` +
          `${point.cpuPerDeliveryUs.toFixed(2)} µs CPU/delivery (GC ${point.gcPerDeliveryUs.toFixed(2)}), client ${(point.clientCpuShare * 100).toFixed(0)}%` +
          (point.fanOutMs === undefined ? '' : `; server side, client stopped: ${point.fanOutMs.toFixed(0)} ms`),
      );
    }
  } catch (error) {
    layout.error = error instanceof Error ? error.message : String(error);
    log(`scale  ${id.padEnd(13)} FAILED: ${layout.error}`);
  } finally {
    await client.send({ type: 'close' }, 30_000).catch(() => undefined);
    await fleet?.stop();
    await client.stop();
  }
  return layout;
}

/**
 * The scale scenario: every layout of `config.scale.layouts`, one after the other, in
 * `config.scale.rounds` rounds. Its servers send keep-alive comments every
 * `config.scale.keepAliveMs` (10 minutes), past any layout's measurement: at the bench's usual
 * 15 s, a sweep of comments to 18,000 streams (about a quarter of a second of CPU) fell inside one
 * layout's connects or events and not another's, and added up to 30 µs to a connect's figure.
 */
export async function scale(log: (line: string) => void): Promise<ScaleResult> {
  const before = process.env.BENCH_KEEPALIVE_MS;
  process.env.BENCH_KEEPALIVE_MS = String(config.scale.keepAliveMs); // read by every bench server it starts (contract.ts)
  try {
    return await measureScale(log);
  } finally {
    if (before === undefined) delete process.env.BENCH_KEEPALIVE_MS;
    else process.env.BENCH_KEEPALIVE_MS = before;
  }
}

async function measureScale(log: (line: string) => void): Promise<ScaleResult> {
  const t0 = performance.now();
  const cap = config.nofile - 1000; // the client holds every stream of a level, the server up to all of them
  const asked = config.scale.levels.filter((n) => n > 0 && n <= cap);
  // The cluster's top level is compared with one process holding its share: that share is a level too.
  const share = config.scale.layouts.includes('cluster') && config.scale.processes > 1 ? Math.floor(Math.max(...asked) / config.scale.processes) : 0;
  const levels = [...new Set([...asked, ...(share > 0 ? [share] : [])])].sort((a, b) => a - b);
  if (asked.length < config.scale.levels.length) log(`scale  levels above ${cap} skipped: the descriptor limit is ${config.nofile} per process (ulimit -n)`);
  const sources = Math.max(1, Math.ceil(Math.max(...levels) / config.scale.perSource));
  const result: ScaleResult = {
    startedAt: new Date().toISOString(),
    durationS: 0,
    quick: config.quick,
    cores: os.cpus().length,
    limits: {
      nofile: config.nofile,
      nofileHard: (() => {
        try {
          return execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
        } catch {
          return 'unknown';
        }
      })(),
      ephemeralPorts: read('/proc/sys/net/ipv4/ip_local_port_range').replace(/\s+/, '–'),
      somaxconn: Number(read('/proc/sys/net/core/somaxconn')),
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    },
    sources,
    keepAliveMs: config.scale.keepAliveMs,
    events: config.scale.events,
    rounds: config.scale.rounds,
    levels,
    layouts: [],
    busy: [],
  };
  const ids = config.scale.layouts as LayoutId[];
  for (const id of ids) if (!(id in LAYOUT_LABELS)) throw new Error(`unknown scale layout ${id} (${Object.keys(LAYOUT_LABELS).join(', ')})`);
  // Rounds, interleaved: one layout measured after another in a single pass took whatever the
  // machine was doing then (on a shared 2-core VM the same code's CPU per connect varied by up to
  // half from one pass to the next), so each layout is measured once per round and reports medians.
  const { rounds } = config.scale;
  const measured = new Map<LayoutId, ScaleLayout[]>(ids.map((id) => [id, []]));
  let slot = 0;
  for (let round = 1; round <= rounds; round++) {
    for (const id of ids) {
      // Each measurement connects from addresses of its own: the streams an earlier one closed hold
      // their ports in TIME_WAIT for 60 s, and binding to a nearly exhausted address made connects
      // several times slower for whichever layout came next.
      const before = await waitForQuiet(0.15, config.quick ? 0 : 20_000);
      const monitor = new ContentionMonitor();
      await monitor.start();
      const suffix = rounds > 1 ? ` (round ${round}/${rounds})` : '';
      measured.get(id)?.push(await measureLayout(id, levels, sources, config.scale.sourceBase + slot++ * sources, (line) => log(line + suffix)));
      const during = monitor.stop();
      result.busy.push({ layout: id + suffix, before, mean: during.mean, max: during.max });
    }
  }
  if (share > 0) {
    // How much of the cluster's ratio is the machine's (the same share on N processes with nothing
    // between them), and the cluster against one process holding its share, taken in turn.
    const client = await LoadClient.start(CLIENT_CORE);
    try {
      await waitForQuiet(0.15, config.quick ? 0 : 20_000);
      const { processes, events } = config.scale;
      const each = Math.ceil(share / config.scale.perSource);
      result.parallelFloor = await parallelFloor(client, processes, os.cpus().length, share, Math.max(events, 3), each, config.scale.sourceBase + slot * sources, 'x'.repeat(config.payloadBytes));
      const f = result.parallelFloor;
      const paired = f.clusterMs === undefined ? `cluster not measured: ${f.clusterError}` : `a cluster of ${processes} workers, ${processes * share} streams, ${f.clusterMs.toFixed(0)} ms (${(f.clusterMs / f.aloneMs).toFixed(2)}×)`;
      log(`scale  parallel floor: ${processes} processes × ${share} streams, one event to all at once ${f.parallelMs.toFixed(0)} ms, to one alone ${f.aloneMs.toFixed(0)} ms (${(f.parallelMs / f.aloneMs).toFixed(2)}×); in the same turns ${paired}`);
    } catch (error) {
      result.parallelFloorError = error instanceof Error ? error.message : String(error);
      log(`scale  parallel floor FAILED: ${result.parallelFloorError}`);
    } finally {
      await client.stop();
    }
  }
  const topLevel = Math.max(...levels);
  if (config.scale.pairedBatch > 0 && ids.includes('raw') && levels.length > 1) {
    // The connect targets, taken pairwise: every one-process layout opening the top level in the same seconds.
    try {
      await waitForQuiet(0.15, config.quick ? 0 : 20_000);
      const from = levels.at(-2) as number;
      const body = 'x'.repeat(config.payloadBytes);
      // Past the addresses the parallel floor connected from: N processes and a cluster of N, ⌈share ÷ perSource⌉ each.
      const floorAddresses = share > 0 ? 2 * config.scale.processes * Math.ceil(share / config.scale.perSource) : 0;
      const warm = (fleet: Fleet, client: LoadClient, each: number, offset: number) => warmUp(fleet, client, Math.min(WARM_UP_STREAMS, levels[0] ?? WARM_UP_STREAMS), each, offset, body, 'paired connects');
      const paired = (result.pairedConnects = await pairedConnects(ids, topLevel, from, config.scale.pairedBatch, config.scale.pairedPasses, sources, config.scale.sourceBase + slot * sources + floorAddresses, CLIENT_CORE, warm));
      const raw = paired.layouts.find((l) => l.id === 'raw');
      for (const l of paired.layouts) {
        log(
          `scale  paired connects ${l.id.padEnd(13)} ${fixed0(l.cpuPerConnectUs)} µs CPU/connect (${ratio(l.cpuPerConnectUs, raw?.cpuPerConnectUs)}), ` +
            `${fixed0(l.connectsPerSecond)} connects/s (${ratio(l.connectsPerSecond, raw?.connectsPerSecond)}), GC ${fixed0(l.gcPerConnectUs)} µs/connect; ${paired.passes} × ${topLevel - from} streams from ${from} to ${topLevel} in batches of ${paired.batch}, taken in turn: ${l.batches.map(fixed0).join(' / ')} µs`,
        );
      }
    } catch (error) {
      result.pairedConnectsError = error instanceof Error ? error.message : String(error);
      log(`scale  paired connects FAILED: ${result.pairedConnectsError}`);
    }
  }
  result.layouts = ids.map((id) => medianLayout(measured.get(id) ?? [], levels));
  for (const layout of result.layouts) {
    const top = layout.levels.at(-1);
    if (rounds > 1 && top) log(`scale  ${layout.id.padEnd(13)} median of ${layout.rounds?.length} rounds at ${top.streams}: ${top.cpuPerConnectUs.toFixed(0)} µs CPU/connect, ${top.connectsPerSecond.toFixed(0)} connects/s, ${top.cpuPerDeliveryUs.toFixed(2)} µs CPU/delivery`);
  }
  result.durationS = (performance.now() - t0) / 1000;
  return result;
}

const fixed0 = (n: number): string => n.toFixed(0);
const ratio = (a: number, b: number | undefined): string => (b === undefined ? '—' : `${(a / b).toFixed(2)}× raw`);

/** One layout's rounds as one: each figure at each level is the median of the rounds that reached that level. */
function medianLayout(rounds: ScaleLayout[], levels: number[]): ScaleLayout {
  const first = rounds[0] as ScaleLayout;
  const points: ScaleLevel[] = [];
  for (const streams of levels) {
    const seen = rounds.map((r) => r.levels.find((l) => l.streams === streams)).filter((l): l is ScaleLevel => l !== undefined);
    if (seen.length === 0) break;
    const point = { ...(seen[0] as ScaleLevel) };
    for (const key of Object.keys(point) as Array<keyof ScaleLevel>) point[key] = median(seen.map((l) => l[key]).filter((v): v is number => v !== undefined));
    points.push(point);
  }
  const failures = rounds.filter((r) => r.error).map((r) => r.error as string);
  return {
    id: first.id,
    label: first.label,
    processes: first.processes,
    levels: points,
    rounds: rounds.map((r) => ({ cpuPerConnectUs: r.levels.map((l) => l.cpuPerConnectUs), cpuPerDeliveryUs: r.levels.map((l) => l.cpuPerDeliveryUs), ...(r.error ? { error: r.error } : {}) })),
    ...(points.length === 0 ? { error: failures[0] ?? 'no level measured' } : {}),
  };
}

