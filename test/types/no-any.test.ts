import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

/** Strips comments, so prose such as "any topic" in TSDoc is not taken for the type. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}

/** `any` as a type in a declaration file: the keyword, not a part of a name (AnyActorLogic). */
function anyTypes(declarations: string): string[] {
  return code(declarations)
    .split('\n')
    .filter((line) => /(?<![\w$.'"])any(?![\w$'"])/.test(line))
    .map((line) => line.trim());
}

test('the any detector finds the keyword and ignores names and comments', (t) => {
  t.deepEqual(anyTypes('export declare function f(x: any): void;\n/** any topic */\nexport type A = AnyActorLogic;\nlet y: Array<any>;'), [
    'export declare function f(x: any): void;',
    'let y: Array<any>;',
  ]);
});

test('no `any` in the published declaration files (dist/**/*.d.ts)', (t) => {
  t.true(existsSync(join(dist, 'index.d.ts')), 'dist/ is missing: run `npm run build` (npm test does it first)');
  const found: string[] = [];
  for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    for (const line of anyTypes(readFileSync(file, 'utf8'))) found.push(`${relative(dist, file)}: ${line}`);
  }
  t.deepEqual(found, []);
});
