// ESLint for the TypeScript, TSX, module scripts and .astro files (their frontmatter and scripts,
// through eslint-plugin-astro). Besides the usual correctness rules it enforces the import boundaries between
// the rooms of docs/architecture.md §1, so that a wrong import fails `npm test`, not a review.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import astro from 'eslint-plugin-astro';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Patterns for `no-restricted-imports`, one message per room boundary. */
const room = {
  node: { group: ['node:*'], message: 'src/lens knows no Node: pass data or a Node adapter in.' },
  site: {
    group: ['**/engine/**', '**/components/**', '**/pages/**', '**/layouts/**', '**/cli/**', '**/node/**', '**/demos/**'],
    message: 'src/lens imports nothing but itself (docs/architecture.md §1).',
  },
  ortRuntime: {
    group: ['onnxruntime-web', 'onnxruntime-web/*', 'onnxruntime-node', 'onnxruntime-node/*'],
    message: 'Figures reach the model through the engine client (src/engine/client.ts), never ORT.',
  },
  cli: { group: ['**/cli/**'], message: 'Site code never imports the CLI.' },
  demos: { group: ['**/demos/**'], message: 'Site chrome never imports a demo’s internals.' },
  figures: {
    regex: '(^|/)demos/(?!\\w+/\\w*Figure\\.astro$|curves/PaperTable\\.astro$)',
    message: 'Pages place a figure (demos/*/…Figure.astro, PaperTable.astro), never a demo’s internals.',
  },
};

/** ORT in src/lens is type-only: the runtime is passed in by the Worker or the CLI. */
const lensOrt = {
  group: ['onnxruntime-web', 'onnxruntime-web/*', 'onnxruntime-node', 'onnxruntime-node/*', 'onnxruntime-common'],
  allowTypeImports: true,
  message: 'src/lens takes ORT as a parameter; import its types only.',
};

/** DOM-only libraries the lens library must not pull in. */
const domLibs = {
  group: ['preact', 'preact/*', '@observablehq/plot', 'linkedom', 'katex'],
  message: 'src/lens knows no DOM.',
};

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'dist-base/**',
      '.astro/**',
      'node_modules/**',
      'public/**',
      'tests/fixtures/**',
      'test-results/**',
      'playwright-report/**',
      'bench/out/**',
      '.scratch/**',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  astro.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.node, ...globals.worker },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
    },
  },
  {
    // Type-aware rules cost a TypeScript program (about as long as the typecheck); these three find
    // promises nobody awaits or catches, which fail silently in a Worker or an island.
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['src/lens/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinModules.map((name) => ({ name, message: room.node.message })),
          patterns: [room.node, room.site, lensOrt, domLibs],
        },
      ],
    },
  },
  {
    files: ['demos/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [room.ortRuntime, room.cli] }],
    },
  },
  {
    // Node-only code serves the CLI and the build; it knows neither (docs/architecture.md §1).
    files: ['src/node/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [room.cli, room.demos] }],
    },
  },
  {
    files: ['src/components/**', 'src/layouts/**', 'src/engine/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [room.cli, room.demos] }],
    },
  },
  {
    files: ['src/pages/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [room.cli, room.figures] }],
    },
  },
);
