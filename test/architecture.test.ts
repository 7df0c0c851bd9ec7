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

const RESTRICTED = "import is restricted from being used";

test('protocol/ imports nothing of ours; runtime/ only protocol; actors/ no system, adapter, transport or HTTP; transport/ no actors or HTTP', async (t) => {
  t.deepEqual(await errors('src/protocol/x.ts', "import { Connection } from '../actors/connection.ts';\nexport const x = Connection;\n"), [
    "'../actors/connection.ts' import is restricted from being used by a pattern. src/protocol/ is pure: it imports nothing of ours.",
  ]);
  t.deepEqual(await errors('src/runtime/x.ts', "import { Connection } from '../actors/connection.ts';\nexport const x = Connection;\n"), [
    "'../actors/connection.ts' import is restricted from being used by a pattern. src/runtime/ (what connections run on) imports only protocol/.",
  ]);
  t.deepEqual(await errors('src/actors/x.ts', "import http from 'node:http';\nimport { sse } from '../adapters/koa.ts';\nimport { System } from '../system/system.ts';\nexport const x = [http, sse, System];\n"), [
    "'node:http' import is restricted from being used. Only src/adapters/ touches a request or a response (docs/architecture.md: Layers).",
    "'../adapters/koa.ts' import is restricted from being used by a pattern. src/actors/ imports only runtime/ and protocol/ (and xstate): never an adapter, the transport or the system.",
    "'../system/system.ts' import is restricted from being used by a pattern. src/actors/ imports only runtime/ and protocol/ (and xstate): never an adapter, the transport or the system.",
  ]);
  t.deepEqual(await errors('src/transport/x.ts', "import type { Connection } from '../actors/connection.ts';\nexport type X = Connection;\n"), [
    "'../actors/connection.ts' import is restricted from being used by a pattern. src/transport/ knows neither HTTP nor actors.",
  ]);
  // The allowed arrows pass.
  t.deepEqual(await errors('src/adapters/x.ts', "import Koa from 'koa';\nimport type { SystemPort } from '../system/types.ts';\nexport const x = Koa;\nexport type S = SystemPort;\n"), []);
  t.deepEqual(await errors('src/actors/x.ts', "import { controlFrame } from '../protocol/frame.ts';\nimport { Mailbox } from '../runtime/mailbox.ts';\nexport const x = [controlFrame, Mailbox];\n"), []);
  t.deepEqual(await errors('src/inspect/x.ts', "import { sse } from '../adapters/koa.ts';\nimport type { SystemSnapshot } from '../system/types.ts';\nexport const x = sse;\nexport type S = SystemSnapshot;\n"), []);
});

test('the system is a port: system/ imports no adapter, no inspect mount and no HTTP type; adapters do not import inspect', async (t) => {
  const system = await errors('src/system/x.ts', "import type { IncomingMessage } from 'node:http';\nimport { sse } from '../adapters/koa.ts';\nimport { metrics } from '../inspect/metrics.ts';\nexport const x = [sse, metrics];\nexport type R = IncomingMessage;\n");
  t.is(system.length, 3);
  t.true(system.every((m) => m.includes(RESTRICTED)));
  t.regex(system[0] as string, /src\/system\/ knows no HTTP stack/);
  t.deepEqual(await errors('src/adapters/x.ts', "import { metrics } from '../inspect/metrics.ts';\nexport const x = metrics;\n"), [
    "'../inspect/metrics.ts' import is restricted from being used by a pattern. src/adapters/ use the system port; they do not import the inspect mounts.",
  ]);
  // And the real files follow it: no lint exception for the core anywhere.
  t.false(readFileSync(join(root, 'eslint.config.js'), 'utf8').includes('system.ts → adapters'));
  for (const file of readdirSync(join(root, 'src/system'))) {
    t.notRegex(readFileSync(join(root, 'src/system', file), 'utf8'), /from '\.\.\/(adapters|inspect)\//, file);
  }
});

test('only index.ts sits at the root of src/, and no class implements more than three interfaces of ours', (t) => {
  t.deepEqual(readdirSync(join(root, 'src')).filter((name) => name.endsWith('.ts')), ['index.ts']);
  const wide: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/class (\w+)[^{]*?implements ([^{]+)\{/g)) {
          const names = (m[2] as string).split(',').map((n) => n.trim().replace(/<.*$/, '')).filter(Boolean);
          if (names.length > 3) wide.push(`${path.slice(root.length)}: ${m[1]} implements ${names.join(', ')}`);
        }
      }
    }
  };
  walk(join(root, 'src'));
  t.deepEqual(wide, []);
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
