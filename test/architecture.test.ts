import test from 'ava';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';

// The layering of docs/architecture.md is enforced by lint: each forbidden arrow is an error.
const root = new URL('..', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

async function errors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

test('protocol/ imports nothing of ours; actors/ no adapter, transport or HTTP; transport/ no actors or HTTP; the core no Koa', async (t) => {
  t.deepEqual(await errors('src/protocol/x.ts', "import { Connection } from '../actors/connection.ts';\nexport const x = Connection;\n"), [
    "'../actors/connection.ts' import is restricted from being used by a pattern. src/protocol/ is pure: it imports nothing of ours.",
  ]);
  t.deepEqual(await errors('src/actors/x.ts', "import http from 'node:http';\nimport { sse } from '../adapters/koa.ts';\nexport const x = [http, sse];\n"), [
    "'node:http' import is restricted from being used. Only src/adapters/ touches a request or a response (docs/architecture.md: Layers).",
    "'../adapters/koa.ts' import is restricted from being used by a pattern. src/actors/ imports only protocol/ (and xstate): never an adapter, the transport or the system.",
  ]);
  t.deepEqual(await errors('src/transport/x.ts', "import type { Connection } from '../actors/connection.ts';\nexport type X = Connection;\n"), [
    "'../actors/connection.ts' import is restricted from being used by a pattern. src/transport/ knows neither HTTP nor actors.",
  ]);
  t.deepEqual(await errors('src/x.ts', "import Koa from 'koa';\nexport const x = Koa;\n"), [
    "'koa' import is restricted from being used. Only src/adapters/ touches a request or a response (docs/architecture.md: Layers).",
  ]);
  // The allowed arrows pass.
  t.deepEqual(await errors('src/adapters/x.ts', "import Koa from 'koa';\nimport type { SseSystem } from '../system.ts';\nexport const x = Koa;\nexport type S = SseSystem;\n"), []);
  t.deepEqual(await errors('src/actors/x.ts', "import { controlFrame } from '../protocol/frame.ts';\nexport const x = controlFrame;\n"), []);
});

test('no file in src/ is over 300 lines', (t) => {
  const long: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && readFileSync(path, 'utf8').split('\n').length - 1 > 300) long.push(path.slice(root.length));
    }
  };
  walk(join(root, 'src'));
  t.deepEqual(long, []);
});
