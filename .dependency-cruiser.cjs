/**
 * The architecture's boundaries, enforced (issue 15): `npm test` runs these rules over the
 * TypeScript sources (test/boundaries.test.ts), and `npm run lint` runs them too.
 *   - a plugin (built-in or example) imports only `@revka/plugin-sdk` and its own npm packages,
 *     never the kernel, another plugin, or a file outside its own folder (its tests may use the
 *     repo's shared test support and other plugins' test helpers, never the kernel);
 *   - the kernel never imports a plugin;
 *   - the SDK's runtime never imports the kernel or a plugin;
 *   - no import cycles anywhere.
 */
// a plugin's own tests and test helpers may use the repo's shared test support (test/…); its
// runtime code may not
const TESTS = '(\\.test\\.ts$|/test-support/|/test-fixtures/|/test-helpers\\.ts$|-fake\\.ts$)'

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'import cycles make start order and mocking fragile; pass narrow dependencies instead',
      from: {},
      to: { circular: true },
    },
    {
      name: 'kernel-never-imports-plugins',
      severity: 'error',
      comment: 'plugins are discovered on disk, never named in kernel code',
      from: { path: '^kernel/' },
      to: { path: '^(plugins|examples)/' },
    },
    {
      name: 'plugins-only-import-the-sdk',
      severity: 'error',
      comment: 'a plugin reaches the kernel only through @revka/plugin-sdk seams',
      from: { path: '^(plugins|examples)/' },
      to: { path: '^kernel/' },
    },
    {
      name: 'plugin-code-never-imports-test-support',
      severity: 'error',
      comment: 'test helpers are not shipped: runtime code cannot depend on them',
      from: { path: '^(plugins|examples)/', pathNot: TESTS },
      to: { path: '^test/' },
    },
    {
      name: 'plugins-stay-in-their-folder',
      severity: 'error',
      comment: 'a plugin never imports another plugin\'s files; shared code belongs in the SDK',
      from: { path: '^(plugins|examples)/([^/]+)/', pathNot: TESTS },
      to: { path: '^(plugins|examples)/', pathNot: '^$1/$2/' },
    },
    {
      name: 'sdk-is-self-contained',
      severity: 'error',
      comment: 'the SDK is published on its own: its runtime cannot reach into the gateway checkout',
      from: { path: '^plugin-sdk/src/', pathNot: '^plugin-sdk/src/testing[^/]*\\.ts$' },
      to: { path: '^(kernel|plugins|examples)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.dist-[^/]*)/|\\.js$|\\.d\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    webpackConfig: { fileName: require('node:path').join(__dirname, 'scripts/lint/depcruise-resolve.cjs') },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'], conditionNames: ['import', 'types', 'default'] },
  },
}
