// `npm run bench`: every scenario against every target, in one run, then the JSON, the docs and
// the summary of ratios. The server runs pinned to core 0, the load client (and this process) to
// core 1, when taskset exists. Counts come from bench/config.ts (BENCH_QUICK=1 for a smoke run).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { config } from './config.ts';
import { LoadClient, TASKSET, pinSelf } from './lib/processes.ts';
import { machine, waitForQuiet } from './lib/machine.ts';
import { ContentionMonitor } from './lib/contention.ts';
import { TARGETS, type Target } from './targets.ts';
import { idle } from './scenarios/idle.ts';
import { fanout } from './scenarios/fanout.ts';
import { burst } from './scenarios/burst.ts';
import { churn, medianChurn, type ChurnResult } from './scenarios/churn.ts';
import { redisBench } from './redis.ts';
import { scale } from './scenarios/scale.ts';
import { stormBench } from './storm.ts';
import { h2Bench } from './h2.ts';
import { topicsBench } from './topics.ts';
import type { ScenarioContext } from './scenarios/types.ts';
import { summarize, printSummary } from './report/summary.ts';
import { writeDocs } from './report/docs.ts';
import type { Results } from './report/results.ts';

const CLIENT_CORE = 1;
/** Before each measurement, wait (up to QUIET_WAIT_MS) until other processes use less than this share of the CPU. */
const QUIET_THRESHOLD = 0.15;
const QUIET_WAIT_MS = Number(process.env.BENCH_QUIET_WAIT_MS ?? (config.quick ? 0 : 20_000));
const started = performance.now();
const pinned = pinSelf(CLIENT_CORE);
const targets = config.targets.length > 0 ? TARGETS.filter((t) => config.targets.includes(t.id)) : TARGETS;
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

log(`sse-actors bench${config.quick ? ' (quick)' : ''}: ${targets.map((t) => t.id).join(', ')}; ${config.scenarios.join(', ')}; ` +
  (TASKSET ? `server on core 0, client on core ${CLIENT_CORE}` : 'no taskset: processes not pinned'));

const body = 'x'.repeat(config.payloadBytes);
const results: Results = {
  meta: { ...(await machine()), quick: config.quick, pinned: pinned && TASKSET !== undefined, config, startedAt: new Date().toISOString(), durationS: 0 },
  targets: targets.map(({ id, label }) => ({ id, label })),
  idle: {},
  fanout: {},
  burst: {},
  churn: {},
  errors: [],
  busy: [],
};

function context(target: Target, scenario: string, client: LoadClient, round = ''): ScenarioContext {
  // BENCH_CPU_PROF=<target,…>: that server writes a V8 profile per scenario (one file per thread).
  const profile = config.cpuProf.split(',').includes(target.id)
    ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve('bench/results/profiles', `${scenario}-${target.id}`)}`]
    : [];
  return { target, config, client, body, nodeArgs: profile, log: (line) => log(`${scenario.padEnd(6)} ${target.id.padEnd(13)} ${line}${round}`) };
}

/** Churn rounds of each target, before the median is taken. */
const churnRuns: Record<string, ChurnResult[]> = {};

for (const scenario of config.scenarios) {
  if (scenario === 'topics') {
    // Topics at runtime, in this process against the port (bench/topics.ts): no targets to compare.
    try {
      results.topics = await topicsBench((line) => log(line));
    } catch (error) {
      results.errors.push({ scenario, target: 'topics', message: error instanceof Error ? error.message : String(error) });
      log(`topics FAILED: ${String(error)}`);
    }
    continue;
  }
  if (scenario === 'redis' || scenario === 'storm' || scenario === 'h2') {
    // Not per target: the transports (bench/redis.ts), a deploy's reconnect storm (bench/storm.ts),
    // HTTP/2 against HTTP/1.1 (bench/h2.ts), each on sse-actors' own servers.
    try {
      if (scenario === 'redis') results.redis = await redisBench((line) => log(line));
      if (scenario === 'storm') results.storm = await stormBench((line) => log(line));
      if (scenario === 'h2') results.h2 = await h2Bench((line) => log(line));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.errors.push({ scenario, target: scenario, message });
      log(`${scenario.padEnd(6)} FAILED: ${message}`);
    }
    continue;
  }
  if (scenario === 'scale') {
    // Its own layouts (one process, cluster workers, Redis nodes), each with its own load client.
    try {
      results.scale = await scale((line) => log(line));
      for (const layout of results.scale.layouts) if (layout.error) results.errors.push({ scenario, target: layout.id, message: layout.error });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.errors.push({ scenario, target: 'scale', message });
      log(`scale  FAILED: ${message}`);
    }
    continue;
  }
  // Churn is short and swings with the machine's state: it runs in rounds, every target once per
  // round (interleaved, so a slow minute does not land on one target), and each reports its median.
  const rounds = scenario === 'churn' ? config.churn.rounds : 1;
  for (let round = 1; round <= rounds; round++) {
    for (const target of targets) {
      // A fresh load client for every measurement too: a client that just dropped 10k sockets
      // would collect them (and pause) in the middle of the next one.
      const before = await waitForQuiet(QUIET_THRESHOLD, QUIET_WAIT_MS);
      const monitor = new ContentionMonitor();
      await monitor.start();
      const client = await LoadClient.start(CLIENT_CORE);
      try {
        const ctx = context(target, scenario, client, rounds > 1 ? ` round ${round}/${rounds}` : '');
        if (scenario === 'idle') results.idle[target.id] = await idle(ctx);
        else if (scenario === 'fanout') results.fanout[target.id] = await fanout(ctx);
        else if (scenario === 'burst') results.burst[target.id] = await burst(ctx);
        else if (scenario === 'churn') (churnRuns[target.id] ??= []).push(await churn(ctx, round === 1)); // the leak slope once per target
        else throw new Error(`unknown scenario ${scenario} (idle, fanout, burst, churn, redis, scale, storm, h2)`);
      } catch (error) {
        // Record it and go on: one broken target must not cost the other measurements.
        const message = error instanceof Error ? error.message : String(error);
        results.errors.push({ scenario, target: target.id, message });
        log(`${scenario.padEnd(6)} ${target.id.padEnd(13)} FAILED: ${message}`);
      } finally {
        await client.stop();
        const during = monitor.stop();
        results.busy.push({ scenario, target: target.id, before, mean: during.mean, max: during.max });
        if (Math.max(before, during.mean) > QUIET_THRESHOLD) {
          log(`${scenario.padEnd(6)} ${target.id.padEnd(13)} WARNING: other processes used ${(before * 100).toFixed(0)}% of the CPU before, ${(during.mean * 100).toFixed(0)}% (max ${(during.max * 100).toFixed(0)}%) during this measurement`);
        }
      }
    }
  }
}
for (const [id, runs] of Object.entries(churnRuns)) {
  results.churn[id] = medianChurn(runs);
  if (runs.length > 1) log(`churn  ${id.padEnd(13)} median of ${runs.length}: ${results.churn[id]?.perSecond.toFixed(0)} cycles/s`);
}

results.meta.durationS = (performance.now() - started) / 1000;
const summary = summarize(results);
await mkdir(path.dirname(config.out), { recursive: true });
await writeFile(config.out, `${JSON.stringify({ ...results, summary }, null, 1)}\n`);
log(`wrote ${config.out}`);
if (config.docs) {
  const written = await writeDocs(results, summary, config.out);
  log(`wrote ${written.join(', ')}`);
}
printSummary(summary, config.quick);
log(`done in ${results.meta.durationS.toFixed(0)} s`);
if (results.errors.length > 0) {
  console.error(`${results.errors.length} measurement(s) failed:\n${results.errors.map((e) => `  ${e.scenario} ${e.target}: ${e.message}`).join('\n')}`);
  process.exitCode = 1;
}
