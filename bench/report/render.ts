// Regenerates docs/benchmarks.md and docs/plots/*.svg from a results file, without measuring.
// Usage: node --import tsx bench/report/render.ts [bench/results/latest.json] [bench/results/scale.json]
// A second file lends its `scale` results (a scale run made alone, BENCH_SCENARIOS=scale); the
// page says when each was measured.
import { readFile } from 'node:fs/promises';
import type { Results } from './results.ts';
import { summarize } from './summary.ts';
import { writeDocs } from './docs.ts';

const file = process.argv[2] ?? 'bench/results/latest.json';
const results = JSON.parse(await readFile(file, 'utf8')) as Results;
const scaleFile = process.argv[3];
if (scaleFile) results.scale = (JSON.parse(await readFile(scaleFile, 'utf8')) as Results).scale;
console.log(`wrote ${(await writeDocs(results, summarize(results), file)).join(', ')}`);
