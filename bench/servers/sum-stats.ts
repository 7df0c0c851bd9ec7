// Several processes' stats as one: the fleet runner and the cluster server's primary both add up
// their processes' answers. Kept apart from contract.ts, whose import starts a server's observers.
import type { Stats } from './contract.ts';

/** Memory, CPU and GC time of `all`, added up. */
export function sumStats(all: readonly Stats[]): Stats {
  const total: Stats = { connections: 0, heapUsed: 0, rss: 0, external: 0, arrayBuffers: 0, cpuUser: 0, cpuSystem: 0, gcUs: 0 };
  for (const one of all) for (const key of Object.keys(total) as Array<keyof Stats>) total[key] += one[key] ?? 0;
  return total;
}
