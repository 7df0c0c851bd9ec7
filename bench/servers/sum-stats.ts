// Several processes' stats as one: the fleet runner and the cluster server's primary both add up
// their processes' answers. Kept apart from contract.ts, whose import starts a server's observers.
import type { Stats } from './contract.ts';

/** Memory, CPU, GC time and fan-outs of `all`, added up; of the last fan-out, the latest publish and end (every process's part over). */
export function sumStats(all: readonly Stats[]): Stats {
  const total: Stats = { connections: 0, heapUsed: 0, rss: 0, external: 0, arrayBuffers: 0, cpuUser: 0, cpuSystem: 0, gcUs: 0, fanOuts: 0, fanOutFrom: 0, fanOutDoneAt: 0 };
  const latest = new Set<keyof Stats>(['fanOutFrom', 'fanOutDoneAt']);
  for (const one of all) {
    for (const key of Object.keys(total) as Array<keyof Stats>) total[key] = latest.has(key) ? Math.max(total[key], one[key] ?? 0) : total[key] + (one[key] ?? 0);
  }
  return total;
}
