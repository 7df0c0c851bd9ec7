// docs/benchmarks.md, regenerated from one run's results (never edited by hand).
import { writeFile } from 'node:fs/promises';
import { stormSection, h2Section } from './storm-docs.ts';
import { topicsSection } from '../topics.ts';
import path from 'node:path';
import { TARGETS, label } from '../targets.ts';
import type { Results } from './results.ts';
import { commonSustained, formatRow, type SummaryRow } from './summary.ts';
import { writePlots } from './plots.ts';
import { scaleSection } from './scale.ts';

const DOC = 'docs/benchmarks.md';
const PLOTS = 'docs/plots';

const num = (n: number | undefined, digits = 2) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));
const int = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const kb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 1024).toFixed(2)} KB`);
const x = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !Number.isFinite(a / b) ? '—' : `${(a / b).toFixed(2)}×`);

/** A Markdown table; `numeric` right-aligns every column but the first. */
function table(head: string[], rows: string[][], numeric = true): string {
  const align = head.map((_, i) => (i === 0 || !numeric ? '---' : '---:'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function ordered<T>(rec: Record<string, T>): Array<[string, T]> {
  return TARGETS.filter((t) => rec[t.id] !== undefined).map((t) => [t.id, rec[t.id] as T]);
}

function img(name: string, alt: string): string {
  return `![${alt}](plots/${name}.svg)`;
}

function machineSection(r: Results): string {
  const m = r.meta;
  return [
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${m.cpu}, ${m.cores} cores`],
        ['memory', `${m.memoryGiB} GiB`],
        ['OS', m.platform],
        ['Node', m.node],
        ['packages', Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(', ')],
        ['sse-actors build', m.sseActorsBuild === 'dist' ? 'dist/ (compiled by tsc)' : 'src/ through tsx (BENCH_SSE_ACTORS=dist measures the compiled package)'],
        ['commit', `${m.commit}${m.srcDirty ? ' (with uncommitted changes under src/)' : ''}`],
        ['pinning', m.pinned ? 'server on core 0, load client on core 1 (taskset)' : 'none (no taskset): numbers are noisier'],
        ['machine load', contention(r)],
        ['run', `${m.startedAt}, ${m.durationS.toFixed(0)} s${m.quick ? ', BENCH_QUICK=1 (smoke counts, not for comparison)' : ''}`],
      ],
      false,
    ),
  ].join('\n');
}

function contention(r: Results): string {
  const busy = r.busy.filter((b) => Math.max(b.before, b.mean) > 0.15);
  const worst = Math.max(0, ...r.busy.map((b) => b.mean));
  if (busy.length === 0) return `quiet: other processes used < 15% of the CPU before and during every measurement (worst mean ${(worst * 100).toFixed(0)}%)`;
  return `**other processes were busy** during ${busy.map((b) => `${b.scenario}/${label(b.target)} (${(Math.max(b.before, b.mean) * 100).toFixed(0)}%)`).join(', ')}: those numbers are suspect`;
}

function method(r: Results): string {
  const c = r.meta.config;
  return `## How it is measured

Five servers speak one contract (bench/servers/contract.ts): \`GET /sse?topic=t\` streams,
\`POST /publish?topic=t[&count=N]\` publishes N events in one synchronous loop, \`GET /stats\` answers
heap, RSS and CPU time after a full GC. Each runs as its own process (\`node --expose-gc --import tsx\`),
a fresh one per scenario, with a ${c.payloadBytes}-byte filler in every payload and the same keep-alive
interval (15 s, so that it rarely fires during a measurement):

- **raw node:http**: the hand-written baseline: a \`Set\` of responses per topic, each event encoded once
  and written with one \`res.write\` per subscriber, removed on \`'close'\`.
- **better-sse**: \`createSession(req, res)\` + \`createChannel()\`, \`channel.register(session)\`, \`channel.broadcast()\`, as documented.
- **Koa hand-rolled**: \`ctx.body = new PassThrough()\`, the PassThroughs in a \`Set\`, each event encoded once.
- **Koa floor (raw loop in Koa)**: raw node:http's loop inside one Koa middleware that sets
  \`ctx.respond = false\` and writes to \`ctx.res\`: what an SSE stream through Koa cannot cost less
  than. The difference between it and raw node:http is Koa's own; the rest of sse-actors (Koa) is ours.
- **sse-actors (Koa)**: \`app.use(sse(system))\`, \`ctx.sse([topic])\`, \`system.notify()\`.
- **sse-actors (Koa, route middleware first)**: the same, with a route middleware before \`sse()\`, as a real app has.
- **sse-actors (system.stream)**: \`system.stream(req, res, [topic])\` on plain node:http.

The load client is another process (bench/load/client.ts): raw sockets with one shared read buffer,
counting events by their \`ts=\` payload marker and taking latency as receive time minus the
server's timestamp (both \`performance.timeOrigin + performance.now()\`). Its CPU share is reported:
near 100% means the client, not the server, set the limit.

- **idle**: ${int(c.idle.connections)} streams opened in ${c.idle.steps} steps; heap and RSS after a full GC at each step.
- **fan-out**: ${int(c.fanout.connections)} streams; events published one POST each at ${c.fanout.rates.join(', ')} events/s,
  ${c.fanout.stepMs / 1000} s per rate, until a rate falls behind (deliveries missing ${c.fanout.drainMs} ms after the last
  publish, less than 90% of the deliveries arriving while publishing, p99 over ${c.fanout.maxP99Ms} ms, or the server answering the publish POSTs so slowly that 64 of them were
  pending and the publisher could not keep the rate). CPU per delivery = server CPU time over the step / deliveries.
- **burst**: ${int(c.burst.connections)} streams; one POST publishes ${int(c.burst.events)} events in one loop; timed until every
  stream has them all. ${c.burst.repeat} runs after a warm-up burst; the median run is shown.
- **churn**: ${int(c.churn.cycles)} connect → first bytes → disconnect cycles, ${c.churn.concurrency} at a time, after
  ${int(c.churn.warmup)} warm-up cycles, timed without interruption; heap after a full GC with no stream left, before and
  after (a forced full GC slows every server for a while, so none runs inside the timed part, and
  ${int(Math.ceil(c.churn.warmup / 2))} untimed cycles follow the first one). ${c.churn.rounds} round(s), every
  target once per round (interleaved); each target reports its median round. The heap slope comes from a second,
  untimed run in the first round, with a heap sample after each quarter.`;
}

function summarySection(summary: SummaryRow[]): string {
  return [
    '## Summary: the targets of the benchmarks issue',
    '',
    'Ratios are sse-actors ÷ baseline, measured in this run. Nothing was tuned to meet them.',
    '',
    table(
      ['metric', 'vs', 'ratio', 'goal', 'verdict', 'note'],
      summary.map((r) => {
        const f = formatRow(r);
        return [f.metric, f.vs, f.ratio, f.goal, f.verdict === 'met' ? 'met' : `**${f.verdict}**`, r.note];
      }),
      false,
    ),
  ].join('\n');
}

function idleSection(r: Results): string {
  const rows = ordered(r.idle).map(([id, v]) => [
    label(id),
    kb(v.heapPerConnection),
    kb(v.rssPerConnection),
    kb(v.externalPerConnection),
    x(v.heapPerConnection, r.idle.raw?.heapPerConnection),
    x(v.heapPerConnection, r.idle['better-sse']?.heapPerConnection),
    x(v.rssPerConnection, r.idle.raw?.rssPerConnection),
    int(v.openPerSecond),
  ]);
  const n = Object.values(r.idle)[0]?.connections ?? 0;
  return [
    '## Idle streams: memory per connection',
    '',
    `Between 0 and ${int(n)} open streams, after a full GC.`,
    '',
    table(['target', 'heap / conn', 'RSS / conn', 'external / conn', 'heap vs raw', 'heap vs better-sse', 'RSS vs raw', 'opened / s'], rows),
    '',
    img('idle-heap', 'server heap vs open streams'),
    '',
    img('idle-rss', 'server RSS vs open streams'),
  ].join('\n');
}

function fanoutSection(r: Results): string {
  const rows = ordered(r.fanout).flatMap(([id, v]) =>
    v.steps.map((s) => [
      label(id),
      int(s.rate),
      int(s.deliveredPerSecond),
      num(s.p50),
      num(s.p99),
      num(s.cpuPerDeliveryUs),
      `${int(s.serverCpuShare * 100)}%`,
      `${int(s.clientCpuShare * 100)}%`,
      s.sustained ? 'yes' : `no: ${s.why}`,
    ]),
  );
  const ratios = ordered(r.fanout)
    .filter(([id]) => id !== 'raw')
    .flatMap(([id, v]) =>
      commonSustained(v, r.fanout.raw).map(([a, b]) => {
        const bs = r.fanout['better-sse']?.steps.find((s) => s.rate === a.rate && s.sustained);
        return [label(id), int(a.rate), x(a.p50, b.p50), x(a.p99, b.p99), x(a.cpuPerDeliveryUs, b.cpuPerDeliveryUs), bs && id !== 'better-sse' ? x(a.p99, bs.p99) : '—', bs && id !== 'better-sse' ? x(a.cpuPerDeliveryUs, bs.cpuPerDeliveryUs) : '—'];
      }),
    );
  const n = Object.values(r.fanout)[0]?.connections ?? 0;
  return [
    '## Fan-out: paced publishing at rising rates',
    '',
    `${int(n)} streams on one topic; each event goes to every stream.`,
    '',
    table(['target', 'events/s', 'deliveries/s', 'p50 ms', 'p99 ms', 'CPU µs / delivery', 'server CPU', 'client CPU', 'kept up'], rows),
    '',
    'Highest rate kept up with (the next rate on the list fell behind):',
    '',
    table(
      ['target', 'events/s', 'deliveries/s', 'vs raw', 'vs better-sse'],
      ordered(r.fanout).map(([id, v]) => {
        const top = v.steps.find((s) => s.rate === v.maxSustainedRate);
        return [label(id), int(v.maxSustainedRate), int(top?.deliveredPerSecond), x(v.maxSustainedRate, r.fanout.raw?.maxSustainedRate), x(v.maxSustainedRate, r.fanout['better-sse']?.maxSustainedRate)];
      }),
    ),
    '',
    'Ratios at the rates both the target and raw node:http kept up with:',
    '',
    table(['target', 'events/s', 'p50 vs raw', 'p99 vs raw', 'CPU vs raw', 'p99 vs better-sse', 'CPU vs better-sse'], ratios),
    '',
    img('fanout-latency', 'fan-out latency vs rate'),
    '',
    img('fanout-cpu', 'fan-out CPU per delivery vs rate'),
  ].join('\n');
}

function burstSection(r: Results): string {
  const rows = ordered(r.burst).map(([id, v]) => [
    label(id),
    int(v.deliveredPerSecond),
    num(v.elapsedMs, 0),
    num(v.cpuPerDeliveryUs, 3),
    num(v.p50, 0),
    num(v.p99, 0),
    x(v.deliveredPerSecond, r.burst.raw?.deliveredPerSecond),
    x(v.deliveredPerSecond, r.burst['better-sse']?.deliveredPerSecond),
    x(v.cpuPerDeliveryUs, r.burst.raw?.cpuPerDeliveryUs),
    x(v.cpuPerDeliveryUs, r.burst['better-sse']?.cpuPerDeliveryUs),
    v.runs.map((run) => int(run.deliveredPerSecond)).join(' / ') + (v.complete ? '' : ' (incomplete)'),
  ]);
  const b = Object.values(r.burst)[0];
  return [
    '## Burst: events published as fast as possible',
    '',
    `${int(b?.events)} events in one synchronous loop to ${int(b?.connections)} streams (${int((b?.events ?? 0) * (b?.connections ?? 0))} deliveries), timed until the last one arrives.`,
    '',
    table(['target', 'deliveries/s', 'ms', 'CPU µs / delivery', 'p50 ms', 'p99 ms', 'throughput vs raw', 'vs better-sse', 'CPU vs raw', 'CPU vs better-sse', 'all runs (deliveries/s)'], rows),
    '',
    img('burst-throughput', 'burst deliveries per second'),
    '',
    img('burst-cpu', 'burst CPU per delivery'),
  ].join('\n');
}

function churnSection(r: Results): string {
  const rows = ordered(r.churn).map(([id, v]) => [
    label(id),
    v.rounds && v.rounds.length > 1 ? `${int(v.perSecond)} (${v.rounds.map((x) => int(x)).join(', ')})` : int(v.perSecond),
    Number.isFinite(v.cpuPerCycleUs) ? num(v.cpuPerCycleUs, 0) : 'n/a',
    num(v.heapGrowthPerCycle, 1),
    num(v.heapSlopePerCycle, 1),
    num(v.rssGrowthPerCycle, 0),
    x(v.perSecond, r.churn.raw?.perSecond),
    x(v.perSecond, r.churn['better-sse']?.perSecond),
    v.failed > 0 ? int(v.failed) : '0',
  ]);
  return [
    '## Churn: connect and disconnect',
    '',
    table(['target', 'cycles/s (median; each round)', 'server CPU µs / cycle', 'heap growth B / cycle', 'heap slope B / cycle', 'RSS growth B / cycle', 'cycles/s vs raw', 'vs better-sse', 'failed'], rows),
    '',
    img('churn', 'churn cycles per second'),
  ].join('\n');
}

const REPRODUCE = `## Reproduce

\`\`\`sh
npm run bench                  # full run (~5–10 min on 2 cores): bench/results/latest.json, this page, docs/plots/*.svg
BENCH_QUICK=1 npm run bench    # smoke run (< 1 min): bench/results/quick.json, docs untouched
BENCH_TARGETS=raw,actors-koa BENCH_SCENARIOS=burst npm run bench   # a subset
BENCH_CPU_PROF=actors-koa BENCH_SCENARIOS=burst npm run bench      # V8 profiles in bench/results/profiles/burst-actors-koa/
node --import tsx bench/report/profile.ts bench/results/profiles/burst-actors-koa/*.cpuprofile  # top functions by self time
node --import tsx bench/report/render.ts bench/results/latest.json  # this page and the plots again, from the JSON
\`\`\`

Every count is an environment variable (bench/config.ts): \`BENCH_IDLE_CONNECTIONS\`, \`BENCH_IDLE_STEPS\`,
\`BENCH_FANOUT_CONNECTIONS\`, \`BENCH_FANOUT_RATES\`, \`BENCH_FANOUT_STEP_MS\`, \`BENCH_FANOUT_DRAIN_MS\`,
\`BENCH_FANOUT_MAX_P99_MS\`, \`BENCH_BURST_CONNECTIONS\`, \`BENCH_BURST_EVENTS\`, \`BENCH_BURST_REPEAT\`,
\`BENCH_CHURN_CYCLES\`, \`BENCH_CHURN_CONCURRENCY\`, \`BENCH_CHURN_WARMUP\`, \`BENCH_CHURN_ROUNDS\`, \`BENCH_PAYLOAD_BYTES\`,
\`BENCH_OPEN_CONCURRENCY\`, \`BENCH_KEEPALIVE_MS\`, \`BENCH_QUIET_WAIT_MS\` (how long to wait for other
processes to go quiet before each measurement; a busy machine is flagged under Machine); \`BENCH_OUT\` (JSON path), \`BENCH_DOCS=0|1\`, \`BENCH_SSE_ACTORS=src|dist\`.
Only loopback is used; every loop is bounded in count and time.`;

/** Writes docs/benchmarks.md and its plots; returns what it wrote. */
export async function writeDocs(results: Results, summary: SummaryRow[], json: string): Promise<string[]> {
  const plots = await writePlots(results, PLOTS);
  const sections = [
    '# Benchmarks',
    '',
    `<!-- Generated by \`npm run bench\` from ${path.relative(process.cwd(), path.resolve(json))}; do not edit by hand. -->`,
    '',
    'sse-actors beside a hand-written node:http loop, better-sse and hand-rolled Koa, measured in one run on one machine.',
    '',
    machineSection(results),
    summarySection(summary),
    method(results),
    results.idle && Object.keys(results.idle).length ? idleSection(results) : '',
    Object.keys(results.fanout).length ? fanoutSection(results) : '',
    Object.keys(results.burst).length ? burstSection(results) : '',
    Object.keys(results.churn).length ? churnSection(results) : '',
    scaleSection(results),
    stormSection(results),
    h2Section(results),
    results.topics ? topicsSection(results.topics) : '',
    results.errors.length
      ? `## Failed measurements\n\n${results.errors.map((e) => `- ${e.scenario}, ${label(e.target)}: ${e.message.replace(/\n/g, ' ')}`).join('\n')}`
      : '',
    REPRODUCE,
  ].filter(Boolean);
  await writeFile(DOC, `${sections.join('\n\n')}\n`);
  return [DOC, ...plots];
}
