// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** What touches a request or a response: only src/adapters/ may import it (types excepted, for signatures). */
const HTTP = ['koa', 'node:http', 'node:http2', 'node:net', 'http', 'http2', 'net'].map((name) => ({
  name,
  allowTypeImports: true,
  message: 'Only src/adapters/ touches a request or a response (docs/architecture.md: Layers).',
}));

/** One layer rule: files of `layer` may not import what `banned` names. */
const layer = (files, patterns, paths = []) => ({
  files,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns, paths }] },
});

const ofOurs = (why, ...groups) => groups.map((group) => ({ group: [group], message: why }));

/** The browser client is bundled for pages: no Node built-in, nothing of the server side. */
const BROWSER = 'src/client/ runs in browsers: it imports no Node built-in and nothing of ours outside src/client/ (only eventsource-parser).';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'docs/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[property.name='only']", message: 'no .only in tests' },
      ],
    },
  },
  // The layering (docs/architecture.md): adapters and inspect → system → actors → runtime → protocol;
  // transport → protocol; client → nothing of ours. Each folder may import only what is below it.
  layer(['src/protocol/**'], ofOurs('src/protocol/ is pure: it imports nothing of ours.', '../**'), [...HTTP, { name: 'xstate', message: 'src/protocol/ is pure.' }]),
  layer(['src/runtime/**'], ofOurs('src/runtime/ (what connections run on) imports only protocol/.', '../actors/**', '../system/**', '../adapters/**', '../inspect/**', '../transport/**', '../client/**', '../index.ts'), HTTP),
  layer(['src/actors/**'], ofOurs('src/actors/ imports only runtime/ and protocol/ (and xstate): never an adapter, the transport or the system.', '../system/**', '../adapters/**', '../inspect/**', '../transport/**', '../client/**', '../index.ts'), HTTP),
  layer(['src/transport/**'], ofOurs('src/transport/ knows neither HTTP nor actors.', '../actors/**', '../runtime/**', '../system/**', '../adapters/**', '../inspect/**', '../client/**', '../index.ts'), [...HTTP, { name: 'xstate', message: 'src/transport/ knows no actors.' }]),
  layer(['src/system/**'], ofOurs('src/system/ is the stack-free core: it imports no adapter and no inspect mount.', '../adapters/**', '../inspect/**', '../client/**', '../index.ts'), HTTP.map((h) => ({ ...h, allowTypeImports: false, message: 'src/system/ knows no HTTP stack, not even its types (docs/architecture.md: Layers).' }))),
  layer(['src/inspect/**'], ofOurs('src/inspect/ reads the system and mounts through the adapters; it is not below anything.', '../client/**', '../index.ts'), HTTP),
  layer(['src/adapters/**'], ofOurs('src/adapters/ use the system port; they do not import the inspect mounts.', '../inspect/**', '../client/**', '../index.ts'), []),
  layer(['src/index.ts'], [], []),
  layer(['src/client/**'], ofOurs(BROWSER, '../**', 'node:*'), builtinModules.map((name) => ({ name, message: BROWSER }))),
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
