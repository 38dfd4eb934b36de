// ESLint (flat config): typescript-eslint's recommended rules over the TypeScript sources and the
// hand-written JavaScript (bin/, scripts/, bench/). Run by `npm run lint` (and .ci/run). The `.js`
// that tsc emits beside each `.ts`, bundles and built console assets are not sources.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      '**/*.js', '!bin/**', '!scripts/**', '!bench/**',
      '**/*.d.ts', '**/node_modules/**', '**/dist/**', 'plugins/dashboard/console/.dist-*/**', 'docs/**', '.revka/**', '.tmp/**',
      '**/fixtures/out-of-tree/**', 'kernel/schema/precompiled.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // the wire layer handles untyped JSON and Node internals on purpose; `unknown` everywhere would
      // add casts, not safety. Boundaries are checked at run time (Ajv, the error shapes) instead.
      '@typescript-eslint/no-explicit-any': 'off',
      // an empty catch is how "best effort" is spelled here (closing an already-closed socket, …)
      'no-empty': ['error', { allowEmptyCatch: true }],
      // header and filename checks match control characters by design
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // CommonJS configuration files (dependency-cruiser's) load their helpers with require
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // tests and fixtures: non-null assertions and throw-away bindings are how assertions read
    files: ['**/*.test.ts', '**/test-support/**', '**/test-helpers.ts', 'test/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
)
