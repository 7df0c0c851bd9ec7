// Top functions by self time in a V8 .cpuprofile (from BENCH_CPU_PROF=<target>).
// Usage: node --import tsx bench/report/profile.ts <file.cpuprofile>… [--top=25]
// (Node writes one profile per thread: the main thread's is the largest.)
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const files = args.filter((a) => !a.startsWith('--'));
const topArg = args.find((a) => a.startsWith('--top='))?.slice('--top='.length);
if (files.length === 0) {
  console.error('usage: node --import tsx bench/report/profile.ts <file.cpuprofile>… [--top=25]');
  process.exit(2);
}
for (const file of files) report(file, JSON.parse(await readFile(file, 'utf8')) as Profile);

function report(file: string, profile: Profile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25));
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
  for (const [key, us] of top) console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${key}`);
}
