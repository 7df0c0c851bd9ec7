/**
 * dist/client.js (built by `npm run build`, which `npm test` runs first) is what a page loads as a
 * static file: one ES module, nothing to resolve, nothing of Node, within its size budget.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { bundleClient, CLIENT_BUNDLE } from '../../scripts/client-bundle.ts';

/** 6 KB, minified and gzipped. */
const BUDGET = 6 * 1024;
const root = fileURLToPath(new URL('../../', import.meta.url));

test('dist/client.js is the current bundle of src/client/', async (t) => {
  const newest = Math.max(...readdirSync(join(root, 'src/client')).map((name) => statSync(join(root, 'src/client', name)).mtimeMs));
  t.true(statSync(CLIENT_BUNDLE).mtimeMs >= newest, 'dist/client.js is older than src/client/: run `npm run build`');
  t.is(readFileSync(CLIENT_BUNDLE, 'utf8'), await bundleClient());
});

test(`dist/client.js is one self-contained ES module, ≤ ${BUDGET} bytes minified and gzipped`, async (t) => {
  const code = readFileSync(CLIENT_BUNDLE, 'utf8');
  const gzipped = gzipSync(code, { level: 9 }).length;
  t.log(`dist/client.js: ${code.length} bytes minified, ${gzipped} bytes gzipped`);
  t.true(gzipped <= BUDGET, `${gzipped} bytes gzipped, over the ${BUDGET} budget`);
  // No import of any kind (static, dynamic, require) and exactly the public exports.
  t.notRegex(code, /\bimport\s*[\s{*"'(]|\brequire\s*\(/);
  t.regex(code, /export\s*\{[^}]*\bEventStream\b[^}]*\}/);
  t.notRegex(code, /node:/);
  const module = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as Record<string, unknown>;
  t.deepEqual(Object.keys(module).sort(), ['EventStream', 'StreamErrorEvent']);
});
