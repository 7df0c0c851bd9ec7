// The scale scenario in docs/benchmarks.md: its tables, the targets, and its plots.
import type { TopLevelSpec } from 'vega-lite';
import type { ScaleLayout, ScaleLevel, ScaleResult } from '../scenarios/scale.ts';
import type { Results } from './results.ts';

const LAYOUT_COLORS = { raw: '#7f7f7f', 'actors-stream': '#2ca02c', 'actors-koa': '#1f77b4', 'koa-floor': '#17becf', cluster: '#9467bd', redis: '#d62728' };

const fixed = (n: number | undefined, digits = 0): string => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const times = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || !Number.isFinite(a / b) ? '—' : `${(a / b).toFixed(2)}×`);

function layoutOf(scale: ScaleResult, id: string): ScaleLayout | undefined {
  return scale.layouts.find((l) => l.id === id && l.levels.length > 0);
}

function at(layout: ScaleLayout | undefined, streams: number): ScaleLevel | undefined {
  return layout?.levels.find((l) => l.streams === streams);
}

function table(head: string[], rows: string[][]): string {
  return [head, head.map((_, i) => (i < 2 ? '---' : '---:')), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

interface Target {
  /** The layouts it compares: only their measurements' contention can unsettle it. */
  layouts: string[];
  what: string;
  value: number | undefined;
  bound: number;
  op: '<=' | '>=';
  how: string;
  /** Why this run cannot settle the target, whatever it measured. */
  inconclusive?: string;
}

/** The targets, from this run: same-run ratios to raw node:http at the top level. */
function targets(scale: ScaleResult): Target[] {
  const top = Math.max(...scale.levels);
  const raw = at(layoutOf(scale, 'raw'), top);
  const koa = at(layoutOf(scale, 'actors-koa'), top);
  const stream = at(layoutOf(scale, 'actors-stream'), top);
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a / b);
  const flat = (id: string) => {
    const levels = layoutOf(scale, id)?.levels ?? [];
    const first = levels[0];
    const last = levels[levels.length - 1];
    return first && last && last !== first ? last.heapPerStream / first.heapPerStream - 1 : undefined;
  };
  const cluster = layoutOf(scale, 'cluster');
  // The cluster at L streams against one process holding its share, L / N: the largest L whose share was measured.
  const shared = [...(cluster?.levels ?? [])].reverse().find((l) => at(layoutOf(scale, 'actors-stream'), l.streams / (cluster?.processes ?? 1)));
  const share = shared && at(layoutOf(scale, 'actors-stream'), shared.streams / (cluster?.processes ?? 1));
  return [
    { layouts: ['actors-koa', 'raw'], what: 'Koa: server CPU per delivery, one event at a time', value: ratio(koa?.cpuPerDeliveryUs, raw?.cpuPerDeliveryUs), bound: 1, op: '<=', how: `× raw, ${fixed(top)} streams` },
    { layouts: ['actors-koa', 'raw'], what: 'Koa: server CPU per connect', value: ratio(koa?.cpuPerConnectUs, raw?.cpuPerConnectUs), bound: 1.2, op: '<=', how: `× raw, opening the last level` },
    { layouts: ['actors-koa', 'raw'], what: 'Koa: connects/s', value: ratio(koa?.connectsPerSecond, raw?.connectsPerSecond), bound: 0.85, op: '>=', how: '× raw, opening the last level' },
    { layouts: ['actors-stream', 'raw'], what: 'system.stream: server CPU per connect', value: ratio(stream?.cpuPerConnectUs, raw?.cpuPerConnectUs), bound: 1.1, op: '<=', how: '× raw, opening the last level' },
    { layouts: ['actors-stream'], what: 'system.stream: heap per stream flat', value: flat('actors-stream'), bound: 0.05, op: '<=', how: `from ${fixed(scale.levels[0])} to ${fixed(top)} streams (a fall is fixed cost spread over more streams; growth would be a leak)` },
    { layouts: ['actors-koa'], what: 'Koa: heap per stream flat', value: flat('actors-koa'), bound: 0.05, op: '<=', how: `from ${fixed(scale.levels[0])} to ${fixed(top)} streams (a fall is fixed cost spread over more streams; growth would be a leak)` },
    {
      layouts: ['cluster', 'actors-stream'],
      what: 'cluster: one event to every stream, as the load client saw it (max)',
      value: ratio(shared?.max, share?.max),
      bound: 1.3,
      op: '<=',
      how: shared ? `× one process holding its share (${fixed(shared.streams)} over ${cluster?.processes} workers vs ${fixed(share?.streams)} in one)` : 'no share level measured',
      // N workers on N cores is the target's premise; here the load client and the primary take cores of their own.
      inconclusive: cluster && scale.cores < cluster.processes + 1 ? `the load client needs one of the ${scale.cores} cores the ${cluster.processes} workers run on: not conclusive` : undefined,
    },
    {
      layouts: ['cluster', 'actors-stream'],
      what: 'cluster: one event to every stream, server side (load client stopped)',
      value: ratio(shared?.fanOutMs, share?.fanOutMs),
      bound: 1.3,
      op: '<=',
      how: shared
        ? `× one process holding its share, in the rounds above: from the publish until the last worker had written the event to its last stream (${fixed(shared.fanOutMs)} vs ${fixed(share?.fanOutMs)} ms)`
        : 'no share level measured',
      inconclusive: serverSideCaveat(scale, cluster, ratio(shared?.fanOutMs, share?.fanOutMs)),
    },
    ...pairedConnectTargets(scale),
    ...pairedTarget(scale, cluster),
  ];
}

/** The connect targets from the paired openings (scale-connect.ts), when the run measured them. */
function pairedConnectTargets(scale: ScaleResult): Target[] {
  const paired = scale.pairedConnects;
  const of = (id: string) => paired?.layouts.find((l) => l.id === id);
  const raw = of('raw');
  if (!paired || !raw) return [];
  const how = `× raw, paired: every one-process layout at once, ${paired.passes} × ${fixed(paired.streams - paired.from)} connects each from ${fixed(paired.from)} to ${fixed(paired.streams)} streams, in batches of ${fixed(paired.batch)} taken in turn`;
  const koa = of('actors-koa');
  const stream = of('actors-stream');
  const paired3 = (layouts: string[], what: string, value: number | undefined, bound: number, op: '<=' | '>='): Target => ({ layouts, what: `${what}, paired`, value, bound, op, how });
  return [
    ...(koa
      ? [
          paired3(['actors-koa', 'raw'], 'Koa: server CPU per connect', koa.cpuPerConnectUs / raw.cpuPerConnectUs, 1.2, '<='),
          paired3(['actors-koa', 'raw'], 'Koa: connects/s', koa.connectsPerSecond / raw.connectsPerSecond, 0.85, '>='),
        ]
      : []),
    ...(stream ? [paired3(['actors-stream', 'raw'], 'system.stream: server CPU per connect', stream.cpuPerConnectUs / raw.cpuPerConnectUs, 1.1, '<=')] : []),
  ];
}

/** The same target taken pairwise, when the run measured it: the cluster and one process alone in turn, in the same minutes. */
function pairedTarget(scale: ScaleResult, cluster: ScaleLayout | undefined): Target[] {
  const floor = scale.parallelFloor;
  if (!floor || floor.clusterMs === undefined) return [];
  const value = floor.clusterMs / floor.aloneMs;
  return [
    {
      layouts: [],
      what: 'cluster: one event to every stream, server side, paired (load client stopped)',
      value,
      bound: 1.3,
      op: '<=',
      how: `× one process holding its share, the two taken in turn (${floor.events} events each, medians: ${fixed(floor.clusterMs)} vs ${fixed(floor.aloneMs)} ms; ${fixed(floor.processes * floor.streamsEach)} over ${floor.processes} workers vs ${fixed(floor.streamsEach)} in one)`,
      inconclusive: serverSideCaveat(scale, cluster, value),
    },
  ];
}

/** This machine's own parallel floor: N independent processes at once ÷ one alone (no transport). */
function floorRatio(scale: ScaleResult): number | undefined {
  const floor = scale.parallelFloor;
  return floor && Number.isFinite(floor.parallelMs / floor.aloneMs) ? floor.parallelMs / floor.aloneMs : undefined;
}

/** Why the server-side cluster target cannot be settled here: too few cores, or a miss the machine's parallel floor explains. */
function serverSideCaveat(scale: ScaleResult, cluster: ScaleLayout | undefined, value: number | undefined): string | undefined {
  if (!cluster || value === undefined) return undefined;
  if (scale.cores < cluster.processes) return `${cluster.processes} workers on ${scale.cores} cores: not conclusive`;
  const floor = floorRatio(scale);
  if (value <= 1.3 || floor === undefined || value / floor > 1.3) return undefined;
  return `on this machine ${cluster.processes} independent processes at once, with no transport between them, take ${floor.toFixed(2)}× one alone; the cluster is ${(value / floor).toFixed(2)}× that: not conclusive`;
}

/** The markdown section. */
export function scaleSection(results: Results): string {
  const scale = results.scale;
  if (!scale) return '';
  const raw = layoutOf(scale, 'raw');
  const rows = scale.layouts.flatMap((layout) =>
    layout.levels.map((l) => {
      const base = at(raw, l.streams);
      return [
        layout.label,
        fixed(l.streams),
        `${fixed(l.heapPerStream)} (${times(l.heapPerStream, base?.heapPerStream)})`,
        `${fixed(l.rssPerStream)} (${times(l.rssPerStream, base?.rssPerStream)})`,
        `${fixed(l.connectsPerSecond)} (${times(l.connectsPerSecond, base?.connectsPerSecond)})`,
        `${fixed(l.cpuPerConnectUs)} (${times(l.cpuPerConnectUs, base?.cpuPerConnectUs)})`,
        `${fixed(l.p50)} / ${fixed(l.p99)} / ${fixed(l.max)}`,
        `${fixed(l.cpuPerDeliveryUs, 2)} (${times(l.cpuPerDeliveryUs, base?.cpuPerDeliveryUs)})`,
        `${fixed(l.clientCpuShare * 100)}%`,
        l.fanOutMs === undefined ? '—' : `${fixed(l.fanOutMs)} (${times(l.fanOutMs, base?.fanOutMs)})`,
      ];
    }),
  );
  // On a busy machine a verdict says what this run saw, not what the code does.
  const shared = scale.busy.some((b) => Math.max(b.before, b.mean) > 0.15);
  const verdicts = targets(scale).map((t) => {
    const flat = t.what.includes('flat');
    const value = flat && t.value !== undefined ? Math.abs(t.value) : t.value;
    const met = value === undefined || !Number.isFinite(value) ? 'n/a' : (t.op === '<=' ? value <= t.bound : value >= t.bound) ? 'met' : '**missed**';
    const shown = t.value === undefined ? 'n/a' : flat ? `${t.value > 0 ? '+' : ''}${(t.value * 100).toFixed(1)}%` : `${t.value.toFixed(2)}×`;
    const goal = flat ? `within ±${(t.bound * 100).toFixed(0)}%` : `${t.op === '<=' ? '≤' : '≥'} ${t.bound}×`;
    const contended = scale.busy.some((b) => t.layouts.includes(b.layout.split(' ')[0] as string) && Math.max(b.before, b.mean) > 0.15);
    const caveat = met === 'n/a' ? undefined : (t.inconclusive ?? (contended && !flat ? 'shared machine: not conclusive' : undefined));
    return [t.what, shown, goal, caveat ? `${met} (${caveat})` : met, t.how];
  });
  const busy = scale.busy.map((b) => `${b.layout} ${(Math.max(b.before, b.mean) * 100).toFixed(0)}%`).join(', ');
  const failed = scale.layouts.flatMap((l) =>
    l.error ? [`- ${l.label}: ${l.error}`] : (l.rounds ?? []).flatMap((r, i) => (r.error ? [`- ${l.label}, round ${i + 1} of ${l.rounds?.length} (the others make its figures): ${r.error}`] : [])),
  );
  const rounds = scale.rounds ?? 1;
  const spread = (id: string): string => {
    const layout = layoutOf(scale, id);
    const tops = (layout?.rounds ?? []).map((r) => r.cpuPerConnectUs.at(-1)).filter((v): v is number => v !== undefined);
    return tops.length > 1 ? `${layout?.label} ${tops.map((v) => fixed(v)).join(' / ')}` : '';
  };
  const spreads = ['raw', 'actors-stream', 'actors-koa', 'koa-floor'].map(spread).filter(Boolean).join('; ');
  return [
    '## Scale: the cost of every extra stream',
    '',
    `Measured ${scale.startedAt} in ${fixed(scale.durationS)} s${scale.quick ? ' (BENCH_QUICK=1)' : ''}, apart from the scenarios above. ` +
      `Limits of this machine: ${scale.cores} cores, ${scale.limits.memoryGiB} GiB, ${fixed(scale.limits.nofile)} descriptors per process (hard limit ${scale.limits.nofileHard}), ` +
      `ephemeral ports ${scale.limits.ephemeralPorts} per source address, somaxconn ${scale.limits.somaxconn}; the load client opened its streams from ${scale.sources} source address(es) of 127.0.0.0/8. ` +
      `The top level is the descriptor limit's: the load client holds every stream of a level.` +
      (scale.keepAliveMs === undefined
        ? ''
        : ` The servers sent keep-alive comments every ${fixed(scale.keepAliveMs / 1000)} s here, past any layout's measurement: a sweep of comments to 18,000 streams takes about a quarter of a second of CPU, and at the other scenarios' 15 s it fell inside one layout's connects or events and not another's.`),
    '',
    shared
      ? `**Other processes used the CPU during some measurements** (share of the machine's CPU used by processes other than the bench's, before or during: ${busy}; ` +
        "on the Redis layout that includes the Redis server it publishes through). Latencies and connect rates are the most affected, memory per stream is not; " +
        'a target below is marked not conclusive for it only when a layout it compares was measured then.'
      : `Other processes used little of the machine's CPU during the measurement (before or during: ${busy}).`,
    '',
    `At each level: heap and RSS per stream after a full GC, summed over every process of the layout, in bytes; connects/s and server CPU per connect over that level's openings; ` +
      `then ${scale.events} events published one at a time, each timed until every stream has it (latency from the publisher's timestamp to the load client reading it: p50 / p99 / max in ms, median event), ` +
      'and server CPU per delivery. Then as many events again timed on the server side, with the load client stopped (SIGSTOP) so that it takes no core: ' +
      'from the publish until every process had written the event to all its streams (median event, ms; on the Redis nodes, from the publish on node 0 until the last node had written the event it took from Redis); the client, resumed, must then count every copy. ' +
      'Ratios are to raw node:http at the same level. Cluster: the primary publishes and relays, the workers stream on one shared port. ' +
      'Redis: events published on node 0, streams spread evenly over the nodes.' +
      (rounds > 1
        ? ` Every layout was measured in ${rounds} rounds, interleaved (each layout once, then again), and each figure below is the median of its rounds` +
          (spreads ? `; server CPU per connect at the top level, round by round (µs): ${spreads}.` : '.')
        : ''),
    '',
    table(['layout', 'streams', 'heap B / stream', 'RSS B / stream', 'connects/s', 'CPU µs / connect', 'one event to all, ms', 'CPU µs / delivery', 'client CPU', 'server side, client stopped, ms'], rows),
    '',
    'The targets of the scale issue, from this run:',
    '',
    [['target', 'measured', 'goal', 'verdict', 'how'], ['---', '---:', '---:', '---', '---'], ...verdicts].map((r) => `| ${r.join(' | ')} |`).join('\n'),
    '',
    pairedConnectsLine(scale),
    '',
    parallelFloorLine(scale),
    '',
    ...['scale-heap', 'scale-latency', 'scale-fan-out', 'scale-connect', 'scale-cpu'].map((name) => `![${name}](plots/${name}.svg)\n`),
    failed.length > 0 ? `Failed layouts:\n\n${failed.join('\n')}\n` : '',
    'It runs in `npm run bench`, or alone, beside the last full run: `BENCH_SCENARIOS=scale BENCH_OUT=bench/results/scale.json BENCH_DOCS=0 npm run bench`, then ' +
      '`node --import tsx bench/report/render.ts bench/results/latest.json bench/results/scale.json` (this page). Counts: `BENCH_SCALE_LEVELS`, `BENCH_SCALE_EVENTS`, ' +
      '`BENCH_SCALE_PROCESSES`, `BENCH_SCALE_LAYOUTS`, `BENCH_SCALE_PER_SOURCE`, `BENCH_SCALE_ROUNDS` (3; 1 with `BENCH_QUICK=1`), `BENCH_SCALE_PAIRED_BATCH` (1,000; 0 skips the paired connects), `BENCH_SCALE_PAIRED_PASSES` (5), `BENCH_SCALE_KEEPALIVE_MS` (600,000); `BENCH_QUICK=1` for a smoke run (500, 1,000, 2,000 streams).',
  ].join('\n');
}

/** How the paired connects went, layout by layout, when the run measured them. */
function pairedConnectsLine(scale: ScaleResult): string {
  const paired = scale.pairedConnects;
  if (!paired) return scale.pairedConnectsError ? `The paired connects failed: ${scale.pairedConnectsError}` : '';
  const raw = paired.layouts.find((l) => l.id === 'raw');
  const label = (id: string) => scale.layouts.find((l) => l.id === id)?.label ?? id;
  const each = paired.layouts.map(
    (l) => `${label(l.id)} ${fixed(l.cpuPerConnectUs)} µs (${times(l.cpuPerConnectUs, raw?.cpuPerConnectUs)}; GC ${fixed(l.gcPerConnectUs)} µs), ${fixed(l.connectsPerSecond)} connects/s (${times(l.connectsPerSecond, raw?.connectsPerSecond)})`,
  );
  return (
    `The connect targets, paired: the rounds above measure each layout in a minute of its own, and this machine's speed changes from one minute to the next by more than the targets' margins. ` +
    `So every one-process layout also ran at once (each server on the server core, each with a load client of its own on the client core), held ${fixed(paired.from)} streams, and in each of ${paired.passes} passes opened up to ${fixed(paired.streams)} in batches of ${fixed(paired.batch)}, ` +
    `the layouts taking turns batch by batch (the order rotating), then closed back to ${fixed(paired.from)}; more than one pass because a major GC (100–250 ms of CPU at these heaps) lands in one pass's batches or not. ` +
    `Server CPU per connect and connects/s over all the passes' batches: ${each.join('; ')}.`
  );
}

/** What the machine's own parallel floor was, when the run measured it. */
function parallelFloorLine(scale: ScaleResult): string {
  const floor = scale.parallelFloor;
  if (!floor) return scale.parallelFloorError ? `The parallel floor failed: ${scale.parallelFloorError}` : '';
  return (
    `This machine's parallel floor, for the cluster's server-side target: ${floor.processes} independent \`system.stream\` processes (memory transport, each pinned to a core of its own) ` +
    `holding ${fixed(floor.streamsEach)} streams each, the load client stopped, one event to all of them at once against one to the first alone, in turn (${floor.events} of each, medians): ` +
    `${fixed(floor.parallelMs)} ms against ${fixed(floor.aloneMs)} ms, ${(floor.parallelMs / floor.aloneMs).toFixed(2)}×. Nothing of sse-actors' cluster is in that figure: it is what running ${floor.processes} at once costs on this machine. ` +
    (floor.clusterMs !== undefined
      ? `In the same turns, a cluster of ${floor.processes} workers holding ${fixed(floor.processes * floor.streamsEach)} streams took ${fixed(floor.clusterMs)} ms (the paired target above).`
      : `The cluster's turn in it was not measured: ${floor.clusterError ?? 'no reason given'}.`)
  );
}

/** Vega-Lite specs of the scale plots (x: streams, one line per layout). */
export function scaleSpecs(results: Results, base: (title: string) => object): Record<string, TopLevelSpec> {
  const scale = results.scale;
  if (!scale || scale.layouts.every((l) => l.levels.length === 0)) return {};
  const color = { field: 'layout', type: 'nominal', title: null, scale: { domain: scale.layouts.map((l) => l.label), range: scale.layouts.map((l) => LAYOUT_COLORS[l.id]) } };
  const points = scale.layouts.flatMap((l) => l.levels.map((v) => ({ layout: l.label, ...v, heapKB: v.heapPerStream / 1024 })));
  const line = (title: string, y: object, extra: object = {}): TopLevelSpec =>
    ({
      ...base(title),
      data: { values: points },
      mark: { type: 'line', point: true },
      encoding: { x: { field: 'streams', type: 'quantitative', title: 'open streams (in total)' }, y, color, ...extra },
    }) as TopLevelSpec;
  const percentiles = points.flatMap((p) => [
    { layout: p.layout, streams: p.streams, percentile: 'p50', ms: p.p50 },
    { layout: p.layout, streams: p.streams, percentile: 'max', ms: p.max },
  ]);
  return {
    'scale-heap': line('Heap per stream after a full GC (all processes of a layout)', { field: 'heapKB', type: 'quantitative', title: 'heap KB per stream' }),
    'scale-latency': {
      ...base('One event to every stream: solid p50, dashed max'),
      data: { values: percentiles },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'streams', type: 'quantitative', title: 'open streams (in total)' },
        y: { field: 'ms', type: 'quantitative', title: 'ms from publish to the client' },
        color,
        strokeDash: { field: 'percentile', type: 'nominal', legend: null, sort: ['p50', 'max'] },
        detail: { field: 'percentile' },
      },
    } as TopLevelSpec,
    'scale-fan-out': {
      ...base('One event to every stream, server side (load client stopped): publish to the last write'),
      data: { values: points.filter((p) => p.fanOutMs !== undefined) },
      mark: { type: 'line', point: true },
      encoding: { x: { field: 'streams', type: 'quantitative', title: 'open streams (in total)' }, y: { field: 'fanOutMs', type: 'quantitative', title: 'ms' }, color },
    } as TopLevelSpec,
    'scale-connect': line('Connects per second while opening each level', { field: 'connectsPerSecond', type: 'quantitative', title: 'connects / s' }),
    'scale-cpu': line('Server CPU per delivery, one event at a time', { field: 'cpuPerDeliveryUs', type: 'quantitative', title: 'µs per delivery' }),
  };
}
