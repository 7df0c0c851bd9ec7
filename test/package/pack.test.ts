import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

// npm run from `npm test` exports npm_config_* (local prefix, cache, user agent …) to its children:
// an npm started with them could install into this repository instead of the temp project.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
const npm = (cwd: string, ...args: string[]) => run('npm', args, { cwd, env, timeout: 120_000, maxBuffer: 16 << 20 });

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

test('npm pack installs into an empty project and streams one event with Node’s own loader', async (t) => {
  t.timeout(180_000, 'npm pack + npm install + one stream');
  // `npm test` builds dist/ first. Packing with --ignore-scripts keeps `prepare` from rebuilding
  // dist/ while other test files load it; so check here that it is not older than src/.
  t.true(existsSync(join(root, 'dist/index.js')), 'dist/ is missing: run `npm run build`');
  t.true(statSync(join(root, 'dist/index.js')).mtimeMs >= newestMtime(join(root, 'src')), 'dist/ is older than src/: run `npm run build`');

  const work = mkdtempSync(join(tmpdir(), 'sse-actors-pack-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const packed = await npm(root, 'pack', '--ignore-scripts', '--json', '--pack-destination', work);
  const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: Array<{ path: string }> }];
  const tarball = join(work, filename);

  // What is in the tarball, as tar lists it (every path is under package/).
  const listed = (await run('tar', ['-tzf', tarball])).stdout.trim().split('\n').map((line) => line.replace(/^package\//, ''));
  t.deepEqual([...listed].sort(), files.map((f) => f.path).sort());
  const unwanted = listed.filter((path) => /^(test|bench|examples|scripts|\.ci|docs\/api)\/|\.test\.|(^|\/)tsconfig|eslint/.test(path));
  t.deepEqual(unwanted, [], 'no tests, bench, examples, scripts or build config in the package');
  for (const required of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/client.js', 'dist/client/index.d.ts']) {
    t.true(listed.includes(required), `${required} is in the package`);
  }

  // A fresh project: npm init, then the tarball and koa from the registry (or npm's cache).
  const project = join(work, 'consumer');
  await run('mkdir', [project]);
  await npm(project, 'init', '-y');
  const installed = await npm(project, 'install', tarball, 'koa', '--prefer-offline', '--no-audit', '--no-fund');
  // No warning to act on: no install script to approve (the build runs at prepack), no engine or deprecation notice.
  t.notRegex(installed.stderr, /npm warn/i, installed.stderr);
  const manifest = JSON.parse(readFileSync(join(project, 'node_modules/sse-actors/package.json'), 'utf8')) as { version: string };
  t.regex(manifest.version, /^\d+\.\d+\.\d+/);
  t.true(existsSync(join(project, 'node_modules/xstate/package.json')), 'xstate comes with the package');

  copyFileSync(fileURLToPath(new URL('./consumer.mjs', import.meta.url)), join(project, 'consumer.mjs'));
  const consumer = await run(process.execPath, ['consumer.mjs'], { cwd: project, env, timeout: 30_000 });
  t.deepEqual(JSON.parse(consumer.stdout) as unknown, {
    status: 200,
    type: 'text/event-stream; charset=utf-8',
    raw: 'data: hello\n\nid: 1\nevent: rate\ndata: {"EUR":0.92}\n\n',
  });

  // The browser client, imported as `sse-actors/client` (dist/client.js) and run on Node's fetch.
  copyFileSync(fileURLToPath(new URL('./consumer-client.mjs', import.meta.url)), join(project, 'consumer-client.mjs'));
  const client = await run(process.execPath, ['consumer-client.mjs'], { cwd: project, env, timeout: 30_000 });
  t.deepEqual(JSON.parse(client.stdout) as unknown, { received: [':hello', '1:one', '1:hello', '2:missed'], resumedFrom: [null, '1'] });

  // A TypeScript user: the same TypeScript and type packages as this repository (so npm's cache
  // has them), strict, skipLibCheck off, Node's own module resolution.
  const versionOf = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const typed = ['typescript', '@types/koa', '@types/node'].map((name) => `${name}@${versionOf(name)}`);
  await npm(project, 'install', '--save-dev', ...typed, '--prefer-offline', '--no-audit', '--no-fund');
  copyFileSync(fileURLToPath(new URL('./consumer-types.ts', import.meta.url)), join(project, 'consumer-types.ts'));
  const tsconfig = { compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] }, files: ['consumer-types.ts'] };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
  const tsc = await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project, env, timeout: 60_000 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }),
  );
  t.is(tsc.stdout, '', 'the published declarations type-check in a strict consumer');

  // A page's TypeScript: the DOM library, no Node types, `sse-actors/client` only.
  copyFileSync(fileURLToPath(new URL('./consumer-client-types.ts', import.meta.url)), join(project, 'consumer-client-types.ts'));
  const pageConfig = { compilerOptions: { ...tsconfig.compilerOptions, lib: ['es2022', 'dom'], types: [] }, files: ['consumer-client-types.ts'] };
  writeFileSync(join(project, 'tsconfig.page.json'), JSON.stringify(pageConfig));
  const page = await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', join(project, 'tsconfig.page.json')], { cwd: project, env, timeout: 60_000 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }),
  );
  t.is(page.stdout, '', 'the client declarations type-check in a strict page');
});
