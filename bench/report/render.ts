// Regenerates docs/benchmarks.md and docs/plots/*.svg from a results file, without measuring.
// Usage: node --import tsx bench/report/render.ts [bench/results/latest.json]
import { readFile } from 'node:fs/promises';
import type { Results } from './results.ts';
import { summarize } from './summary.ts';
import { writeDocs } from './docs.ts';

const file = process.argv[2] ?? 'bench/results/latest.json';
const results = JSON.parse(await readFile(file, 'utf8')) as Results;
console.log(`wrote ${(await writeDocs(results, summarize(results), file)).join(', ')}`);
