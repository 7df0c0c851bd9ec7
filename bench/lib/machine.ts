import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';

async function version(pkg: string): Promise<string> {
  try {
    const url = pkg === 'sse-actors' ? new URL('../../package.json', import.meta.url) : new URL(`../../node_modules/${pkg}/package.json`, import.meta.url);
    return (JSON.parse(await readFile(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** What the numbers were measured on: CPU, cores, memory, Node, package versions, commit. */
export async function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = (await readFile('/proc/cpuinfo', 'utf8')).split('\n').find((l) => l.startsWith('model name'));
    if (line) cpu = line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpu,
    // os.cpus(), not availableParallelism(): this process may already be pinned to one core.
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    packages: {
      'sse-actors': await version('sse-actors'),
      xstate: await version('xstate'),
      koa: await version('koa'),
      'better-sse': await version('better-sse'),
    },
    /** What the sse-actors servers load: 'src' (through tsx) or 'dist' (BENCH_SSE_ACTORS=dist). */
    sseActorsBuild: process.env.BENCH_SSE_ACTORS === 'dist' ? 'dist' : 'src',
    commit: git(['rev-parse', '--short', 'HEAD']),
    /** Uncommitted changes under src/ when the run started (the numbers are for the work tree). */
    srcDirty: git(['status', '--porcelain', '--', 'src']) !== '',
  };
}

/** Share (0–1) of the whole machine's CPU in use over `ms`, from /proc/stat; NaN where there is none. */
export async function machineBusy(ms: number): Promise<number> {
  const sample = async () => {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((s, v) => s + v, 0) };
  };
  try {
    const a = await sample();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const b = await sample();
    return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
  } catch {
    return Number.NaN;
  }
}

/**
 * Waits (at most `maxWaitMs`) until the machine is quiet, i.e. nothing else uses more than
 * `threshold` of its CPU, and returns the share last seen: benchmarks measured beside another
 * load are flagged in the results rather than silently trusted.
 */
export async function waitForQuiet(threshold: number, maxWaitMs: number): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  let busy = await machineBusy(maxWaitMs > 0 ? 500 : 200);
  while (busy > threshold && Date.now() < deadline) busy = await machineBusy(1000);
  return busy;
}
