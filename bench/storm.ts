// Storm: N streams on node A; A stops (system.stop(): streams end with a jittered retry) and keeps
// listening for a drain window, answering busy; then A exits and B (booted meanwhile) listens on
// the same port. Events are notified throughout (Redis transport: B replays from the shared
// history). Reports the time until 99% and 100% of the streams are back (an event received on a
// new connection), B's peak accept rate and CPU, and what was lost (must be 0), for busy jitter on and off.
// Standalone: node --import tsx bench/storm.ts; also a scenario of bench/run.ts (BENCH_SCENARIOS=storm).
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startNode, nextMessage } from './lib/processes.ts';
import { createSystem, redisTransport } from '../src/index.ts';

const env = process.env;
const STREAMS = Number(env.BENCH_STORM_STREAMS ?? (env.BENCH_QUICK === '1' ? 1000 : 10_000));
const RETRY_MS = Number(env.BENCH_STORM_RETRY_MS ?? 1000);
const DRAIN_MS = Number(env.BENCH_STORM_DRAIN_MS ?? 3000);
const JITTERS = (env.BENCH_STORM_JITTERS ?? '4000,0').split(',').map(Number);
/** One event every this many ms throughout: every stream replays what it missed while away. */
const EVENT_EVERY_MS = Number(env.BENCH_STORM_EVENT_EVERY_MS ?? 500);

export interface StormRun {
  streams: number;
  jitterMs: number;
  retryMs: number;
  drainMs: number;
  /** ms from stop() until 99% / 100% of the streams received an event on a new connection. */
  back99Ms: number;
  back100Ms: number;
  /** Streams not back 120 s after B listened (0 when the storm settled). */
  notBack: number;
  /** Streams accepted by B per second, the best 100 ms window. */
  peakAcceptPerSecond: number;
  /** B's CPU (user + system) from listening until every stream was back, ms. */
  newNodeCpuMs: number;
  busyAnswers: number;
  refusedConnections: number;
  events: number;
  lost: number;
  duplicates: number;
}

const run = promisify(execFile);
const ask = <T>(child: ChildProcess, message: object, type: string, timeoutMs = 60_000): Promise<T> => {
  const reply = nextMessage(child, (m) => ((m as { type?: string }).type === type ? (m as T) : undefined), timeoutMs);
  child.send(message);
  return reply;
};

interface State {
  back: number[];
  lastIds: number[];
  lost: number;
  duplicates: number;
  busy: number;
  refused: number;
  stuck: unknown[];
}
interface Stats {
  connections: number;
  cpuUs: number;
  acceptsPer100ms: number[];
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`storm: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function stormOnce(jitterMs: number, log: (line: string) => void): Promise<StormRun> {
  const prefix = `storm:${process.pid}:${jitterMs}:`;
  const nodeEnv = (name: string) => Object.assign(process.env, { STORM_PREFIX: prefix, STORM_NODE: name, STORM_RETRY_MS: String(RETRY_MS), STORM_JITTER_MS: String(jitterMs) });
  nodeEnv('A');
  const a = startNode(new URL('./storm/node.ts', import.meta.url), ['--conditions=sse-actors-source'], 0);
  nodeEnv('B');
  const b = startNode(new URL('./storm/node.ts', import.meta.url), ['--conditions=sse-actors-source', ...(env.STORM_PROF ? ['--cpu-prof', `--cpu-prof-dir=${env.STORM_PROF}`] : [])], 0);
  const client = startNode(new URL('./storm/client.ts', import.meta.url), [], 1);
  const notifier = createSystem({ topics: ['t'], transport: redisTransport({ url: 'redis://127.0.0.1:6379', prefix, blockMs: 200 }), node: 'notifier', keepAlive: 0, history: { size: 1 } });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.all([notifier.ready(), nextMessage(a, (m) => ((m as { type?: string }).type === 'ready' ? true : undefined), 60_000), nextMessage(b, (m) => ((m as { type?: string }).type === 'ready' ? true : undefined), 60_000)]);
    const { port } = await ask<{ port: number }>(a, { type: 'listen', port: 0 }, 'listening');
    await ask(client, { type: 'open', port, count: STREAMS }, 'opened', 120_000);
    await until('every stream on A', async () => (await ask<Stats>(a, { type: 'stats' }, 'stats')).connections === STREAMS, 60_000);
    let id = 0;
    const publish = () => void notifier.notify({ id: ++id, topic: 't', data: { data: `e${id}` } });
    timer = setInterval(publish, EVENT_EVERY_MS);
    await until('the first events', async () => (await ask<State>(client, { type: 'state' }, 'state')).lastIds.every((n) => n >= 5), 30_000);
    client.send({ type: 'mark' });
    const stoppedAt = performance.now();
    log(`storm jitter ${jitterMs}: ${STREAMS} streams on A; stop`);
    a.send({ type: 'stop' });
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS)); // the drain window, as a deploy keeps it
    const aStats = await ask<Stats & { busy: number }>(a, { type: 'stats' }, 'stats');
    await new Promise<void>((resolve) => {
      a.once('exit', () => resolve());
      a.send({ type: 'exit' });
    });
    const bBefore = await ask<Stats>(b, { type: 'stats' }, 'stats');
    await ask(b, { type: 'listen', port }, 'listening');
    const listenedMs = Math.round(performance.now() - stoppedAt);
    let state: State = await ask<State>(client, { type: 'state' }, 'state');
    // A crowd that does not all come back within 120 s is reported as it stands then (notBack), not thrown away.
    const settled = await until('every stream back', async () => (state = await ask<State>(client, { type: 'state' }, 'state')).back.every((ms) => ms >= 0), 120_000).then(
      () => true,
      (error: Error) => (log(`storm jitter ${jitterMs}: ${error.message}: ${state.back.filter((ms) => ms < 0).length} not back, e.g. ${JSON.stringify(state.stuck)}`), false),
    );
    const bAfter = await ask<Stats>(b, { type: 'stats' }, 'stats');
    clearInterval(timer);
    timer = undefined;
    const last = ++id;
    await notifier.notify({ id: last, topic: 't', data: { data: 'last' } });
    if (settled) await until('the last event everywhere', async () => (state = await ask<State>(client, { type: 'state' }, 'state')).lastIds.every((n) => n === last), 60_000);
    const notBack = state.back.filter((ms) => ms < 0).length;
    const back = state.back.filter((ms) => ms >= 0).sort((x, y) => x - y);
    const peak = Math.max(0, ...bAfter.acceptsPer100ms) * 10;
    const result: StormRun = {
      streams: STREAMS,
      jitterMs,
      retryMs: RETRY_MS,
      drainMs: DRAIN_MS,
      back99Ms: back.length >= Math.ceil(STREAMS * 0.99) ? Math.round(back[Math.ceil(STREAMS * 0.99) - 1] ?? Number.NaN) : Number.NaN,
      back100Ms: notBack === 0 ? Math.round(back.at(-1) ?? Number.NaN) : Number.NaN,
      notBack,
      peakAcceptPerSecond: peak,
      newNodeCpuMs: Math.round((bAfter.cpuUs - bBefore.cpuUs) / 1000),
      busyAnswers: aStats.busy,
      refusedConnections: state.refused,
      events: last,
      lost: state.lost,
      duplicates: state.duplicates,
    };
    log(`storm jitter ${jitterMs}: 99% back ${result.back99Ms} ms, 100% ${result.back100Ms} ms after stop(); B peak ${peak}/s, CPU ${result.newNodeCpuMs} ms; ` +
      `${result.busyAnswers} busy, ${result.refusedConnections} refused; ${last} events, lost ${result.lost}, duplicates ${result.duplicates}; B listened ${listenedMs} ms after stop(), back p10/p50/p90 ${[0.1, 0.5, 0.9].map((q) => Math.round(back[Math.floor(back.length * q)] ?? 0)).join('/')} ms`);
    return result;
  } finally {
    if (timer) clearInterval(timer);
    if (env.STORM_PROF) await new Promise((resolve) => (b.once('exit', resolve), b.send({ type: 'exit' })));
    for (const child of [a, b, client]) child.kill('SIGKILL');
    await notifier.stop({ timeoutMs: 500 });
    const { stdout } = await run('redis-cli', ['--scan', '--pattern', `${prefix}*`], { timeout: 10_000 });
    for (const key of stdout.split('\n').filter(Boolean)) await run('redis-cli', ['del', key], { timeout: 10_000 });
  }
}

export async function stormBench(log: (line: string) => void): Promise<StormRun[]> {
  const runs: StormRun[] = [];
  for (const jitter of JITTERS) runs.push(await stormOnce(jitter, log));
  return runs;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = await stormBench((line) => console.log(line));
  console.log(JSON.stringify(runs, null, 1));
  process.exit(0);
}
