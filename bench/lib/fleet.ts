// The server side of one scale layout: one process (a target of bench/targets.ts), the cluster
// transport's primary and workers, or N nodes on Redis. Streams open on `ports` (spread evenly),
// events are published on `publishPort`, and stats are the sum over every process of the layout.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Stats } from '../servers/contract.ts';
import { sumStats } from '../servers/sum-stats.ts';
import { TARGETS, type Target } from '../targets.ts';
import { Server } from './server.ts';

const run = promisify(execFile);

export type LayoutId = 'raw' | 'actors-stream' | 'actors-koa' | 'koa-floor' | 'cluster' | 'redis';

export const LAYOUT_LABELS: Record<LayoutId, string> = {
  raw: 'raw node:http, 1 process',
  'actors-stream': 'system.stream, 1 process',
  'actors-koa': 'Koa ctx.sse, 1 process',
  'koa-floor': 'Koa floor (raw loop in Koa), 1 process',
  cluster: 'system.stream, cluster transport',
  redis: 'system.stream, nodes on Redis',
};

export interface Fleet {
  readonly processes: number;
  /** Where streams open: one port, or one per node. */
  readonly ports: readonly number[];
  readonly publishPort: number;
  stats(gc: boolean): Promise<Stats>;
  stop(): Promise<void>;
}

async function deleteKeys(prefix: string): Promise<void> {
  const { stdout } = await run('redis-cli', ['--scan', '--pattern', `${prefix}*`], { timeout: 10_000 });
  const keys = stdout.split('\n').filter(Boolean);
  if (keys.length > 0) await run('redis-cli', ['del', ...keys], { timeout: 10_000 });
}

/**
 * Starts a layout. One-process layouts run pinned to core 0 as in every other scenario; the
 * cluster's processes may use every core (its workers inherit the primary's affinity); Redis node
 * n runs on core n mod cores.
 */
export async function startFleet(id: LayoutId, processes: number, cores: number, nodeArgs: string[]): Promise<Fleet> {
  const target = TARGETS.find((t) => t.id === id);
  if (target) {
    const server = await Server.start(target, nodeArgs);
    return { processes: 1, ports: [server.port], publishPort: server.port, stats: (gc) => server.stats(gc), stop: () => server.stop() };
  }
  if (id === 'cluster') {
    process.env.BENCH_WORKERS = String(processes);
    const server = await Server.start({ id: 'actors-stream', label: LAYOUT_LABELS.cluster, script: 'sse-actors-cluster.ts' }, nodeArgs, `0-${cores - 1}`);
    return { processes, ports: [server.streamPort], publishPort: server.port, stats: (gc) => server.stats(gc), stop: () => server.stop() };
  }
  const prefix = `bench-scale:${process.pid}:${Date.now()}:`;
  const nodes: Server[] = [];
  const node: Target = { id: 'actors-stream', label: LAYOUT_LABELS.redis, script: 'sse-actors-redis.ts' };
  try {
    for (let n = 0; n < processes; n++) {
      Object.assign(process.env, { BENCH_TRANSPORT: 'redis', BENCH_REDIS_PREFIX: prefix, BENCH_NODE: `n${n}` });
      nodes.push(await Server.start(node, nodeArgs, n % cores));
    }
  } catch (error) {
    await Promise.all(nodes.map((s) => s.stop()));
    await deleteKeys(prefix);
    throw error;
  }
  return {
    processes,
    ports: nodes.map((s) => s.port),
    publishPort: (nodes[0] as Server).port,
    stats: async (gc) => sumStats(await Promise.all(nodes.map((s) => s.stats(gc)))),
    stop: async () => {
      await Promise.all(nodes.map((s) => s.stop()));
      await deleteKeys(prefix);
    },
  };
}
