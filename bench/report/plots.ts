// SVG plots for docs/benchmarks.md: Vega-Lite specs compiled and rendered headless by Vega.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { TARGETS, label } from '../targets.ts';
import type { Results } from './results.ts';
import { scaleSpecs } from './scale.ts';

const WIDTH = 520;
const HEIGHT = 300;
const COLORS = ['#7f7f7f', '#d62728', '#ff7f0e', '#1f77b4', '#2ca02c'];
const colorScale = { domain: TARGETS.map((t) => t.label), range: COLORS };

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function base(title: string): Pick<TopLevelSpec, '$schema'> & { title: string; width: number; height: number; config: object } {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    config: { font: 'sans-serif', legend: { orient: 'bottom', columns: 3, labelLimit: 240 }, axis: { labelLimit: 240 } },
  };
}

function specs(results: Results): Record<string, TopLevelSpec> {
  const out: Record<string, TopLevelSpec> = {};
  const fan = Object.entries(results.fanout).flatMap(([id, r]) =>
    r.steps.flatMap((s) => [
      { target: label(id), rate: s.rate, percentile: 'p50', ms: s.p50, kept: s.sustained ? 'kept up' : 'fell behind' },
      { target: label(id), rate: s.rate, percentile: 'p99', ms: s.p99, kept: s.sustained ? 'kept up' : 'fell behind' },
    ]),
  );
  if (fan.length > 0) {
    const connections = Object.values(results.fanout)[0]?.connections ?? 0;
    out['fanout-latency'] = {
      ...base(`Fan-out latency vs publish rate (${connections} streams): solid p50, dashed p99`),
      data: { values: fan },
      mark: { type: 'line', point: { filled: true, size: 50 } },
      encoding: {
        x: { field: 'rate', type: 'quantitative', scale: { type: 'log', nice: false }, title: 'events published per second (each to every stream)' },
        y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency, ms (log)' },
        color: { field: 'target', type: 'nominal', scale: colorScale, title: null },
        strokeDash: { field: 'percentile', type: 'nominal', legend: null, sort: ['p50', 'p99'] },
        shape: { field: 'kept', type: 'nominal', title: null, scale: { domain: ['kept up', 'fell behind'], range: ['circle', 'cross'] } },
        detail: { field: 'percentile' },
      },
    } as TopLevelSpec;
    const thr = Object.entries(results.fanout).flatMap(([id, r]) =>
      r.steps.map((s) => ({ target: label(id), rate: s.rate, delivered: s.deliveredPerSecond, cpu: s.cpuPerDeliveryUs })),
    );
    out['fanout-cpu'] = {
      ...base('Fan-out: server CPU per delivered event'),
      data: { values: thr },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'rate', type: 'quantitative', scale: { type: 'log', nice: false }, title: 'events published per second' },
        y: { field: 'cpu', type: 'quantitative', title: 'server CPU µs per delivered event' },
        color: { field: 'target', type: 'nominal', scale: colorScale, title: null },
      },
    } as TopLevelSpec;
  }
  const mem = Object.entries(results.idle).flatMap(([id, r]) =>
    r.points.flatMap((p) => [
      { target: label(id), connections: p.connections, kind: 'heap used', mb: p.heapUsed / 2 ** 20 },
      { target: label(id), connections: p.connections, kind: 'RSS', mb: p.rss / 2 ** 20 },
    ]),
  );
  if (mem.length > 0) {
    for (const kind of ['heap used', 'RSS'] as const) {
      out[kind === 'RSS' ? 'idle-rss' : 'idle-heap'] = {
        ...base(`Idle streams: server ${kind} after a full GC`),
        data: { values: mem.filter((m) => m.kind === kind) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'connections', type: 'quantitative', title: 'open idle streams' },
          y: { field: 'mb', type: 'quantitative', title: `${kind}, MiB` },
          color: { field: 'target', type: 'nominal', scale: colorScale, title: null },
        },
      } as TopLevelSpec;
    }
  }
  const bars = (name: string, title: string, axis: string, values: Array<{ target: string; value: number }>) => {
    if (values.length === 0) return;
    out[name] = {
      ...base(title),
      height: 28 * values.length,
      data: { values },
      mark: 'bar',
      encoding: {
        y: { field: 'target', type: 'nominal', sort: null, title: null },
        x: { field: 'value', type: 'quantitative', title: axis },
        color: { field: 'target', type: 'nominal', scale: colorScale, legend: null },
      },
    } as TopLevelSpec;
  };
  const ordered = <T>(rec: Record<string, T>) => TARGETS.filter((t) => rec[t.id] !== undefined).map((t) => [t.label, rec[t.id] as T] as const);
  const b = results.burst[Object.keys(results.burst)[0] ?? ''];
  bars('burst-throughput', `Burst: ${b?.events ?? ''} events to ${b?.connections ?? ''} streams`, 'delivered events per second',
    ordered(results.burst).map(([target, r]) => ({ target, value: r.deliveredPerSecond })));
  bars('burst-cpu', 'Burst: server CPU per delivered event', 'µs', ordered(results.burst).map(([target, r]) => ({ target, value: r.cpuPerDeliveryUs })));
  bars('churn', 'Churn: connect / disconnect cycles per second', 'cycles per second', ordered(results.churn).map(([target, r]) => ({ target, value: r.perSecond })));
  return { ...out, ...scaleSpecs(results, base) };
}

/** Writes docs/plots/<name>.svg for each plot; returns the paths. */
export async function writePlots(results: Results, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, spec] of Object.entries(specs(results))) {
    const file = path.join(dir, `${name}.svg`);
    await writeFile(file, `${await render(spec)}\n`);
    written.push(file);
  }
  return written;
}
