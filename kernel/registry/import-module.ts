/**
 * `import()` from a module of its own. The bundled kernel (kernel/dist, see scripts/bundle.js)
 * runs as a script compiled with V8's code cache, and such a script has no dynamic `import()`:
 * plugins and jiti are imported through this file, which stays an ES module outside the bundle.
 */
export function importModule(specifier: string): Promise<any> {
  return import(specifier)
}
