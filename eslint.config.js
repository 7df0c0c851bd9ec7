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
  // The layering (docs/architecture.md): adapters → system → actors and transport → protocol.
  layer(['src/protocol/**'], ofOurs('src/protocol/ is pure: it imports nothing of ours.', '../**'), [...HTTP, { name: 'xstate', message: 'src/protocol/ is pure.' }]),
  layer(['src/actors/**'], ofOurs('src/actors/ imports only protocol/ (and xstate): never an adapter, the transport or the system.', '../adapters/**', '../transport/**', '../system.ts', '../api.ts', '../index.ts', '../runtime.ts', '../snapshot.ts', '../options.ts'), HTTP),
  layer(['src/transport/**'], ofOurs('src/transport/ knows neither HTTP nor actors.', '../actors/**', '../adapters/**', '../system.ts', '../index.ts'), [...HTTP, { name: 'xstate', message: 'src/transport/ knows no actors.' }]),
  layer(['src/*.ts'], ofOurs('Only index.ts re-exports the Koa adapter and the dashboard/metrics mounts.', './adapters/koa.ts', './adapters/dashboard*.ts', './adapters/metrics.ts'), HTTP),
  layer(['src/index.ts'], [], []),
  layer(['src/client/**'], ofOurs(BROWSER, '../**', 'node:*'), builtinModules.map((name) => ({ name, message: BROWSER }))),
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
