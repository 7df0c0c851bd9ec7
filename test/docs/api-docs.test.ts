import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkDocs, formatProblems } from '../../scripts/check-docs.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the TSDoc check reports each symbol without a summary or an @example, and options without a @default', (t) => {
  t.deepEqual(checkDocs('test/fixtures/docs/entry.ts'), [
    { symbol: 'Bare', missing: ['summary', '@example'] },
    { symbol: 'noExample', missing: ['@example'] },
    { symbol: 'SystemOptions.limit', missing: ['@default'] },
    { symbol: 'SystemOptions.quiet', missing: ['summary'] },
  ]);
});

test('every public symbol of src/index.ts has a summary and an @example; every option has a @default', (t) => {
  const problems = checkDocs();
  if (problems.length === 0) return t.pass();
  t.fail(`${problems.length} public symbol(s) lack TSDoc; add it where each is declared:\n${formatProblems(problems)}`);
});

test('npm run docs: TypeDoc renders the API reference without a warning', async (t) => {
  t.timeout(120_000, 'TypeDoc');
  const out = mkdtempSync(join(tmpdir(), 'sse-actors-docs-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const bin = join(root, 'node_modules/typedoc/bin/typedoc');
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, '--out', out], { cwd: root, timeout: 110_000 });
  t.notRegex(stdout + stderr, /\[warning\]|\[error\]/);
  t.true(existsSync(join(out, 'index.html')));
  t.regex(readFileSync(join(out, 'functions/createSystem.html'), 'utf8'), /createSystem/);
  t.true(existsSync(join(out, 'interfaces/SystemOptions.html')));
});
