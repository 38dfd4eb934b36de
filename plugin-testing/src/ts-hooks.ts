/**
 * Module hooks behind `@revka/plugin-testing/register`: `.ts`/`.mts` files outside node_modules are
 * compiled to ES modules with TypeScript's `transpileModule` (types are erased, never checked — run
 * `tsc --noEmit` for that), and a relative `./x.js` import that has only `./x.ts` on disk (the
 * NodeNext convention) resolves to it. Everything else passes through to Node untouched.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

type Next<A extends unknown[], R> = (...args: A) => Promise<R>
interface ResolveContext {
  parentURL?: string
  conditions: string[]
}
interface ResolveResult {
  url: string
  format?: string | null
  shortCircuit?: boolean
}
interface LoadResult {
  format: string
  source?: string | ArrayBuffer | Uint8Array | null
  shortCircuit?: boolean
}

const TS_FILE = /\.m?ts$/
const isOurs = (url: string) => url.startsWith('file:') && TS_FILE.test(url) && !url.includes('/node_modules/')

let ts: typeof import('typescript') | undefined

async function typescript(): Promise<typeof import('typescript')> {
  if (ts) return ts
  try {
    ts = ((await import('typescript')) as { default: typeof import('typescript') }).default
    return ts
  } catch {
    throw new Error(
      'REVKA_ERR_TEST_TYPESCRIPT: @revka/plugin-testing/register compiles .ts tests with the "typescript" package; install it (npm install --save-dev typescript)',
    )
  }
}

export async function resolve(specifier: string, context: ResolveContext, next: Next<[string, ResolveContext], ResolveResult>): Promise<ResolveResult> {
  try {
    return await next(specifier, context)
  } catch (e) {
    // `import './x.js'` from TypeScript means ./x.ts until it is compiled
    const relative = specifier.startsWith('./') || specifier.startsWith('../')
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND' || !relative || !/\.m?js$/.test(specifier)) throw e
    // no .ts either: the error names what the test wrote
    return next(specifier.replace(/js$/, 'ts'), context).catch(() => {
      throw e
    })
  }
}

export async function load(
  url: string,
  context: { format?: string | null },
  next: Next<[string, { format?: string | null }], LoadResult>,
): Promise<LoadResult> {
  if (!isOurs(url)) return next(url, context)
  const filename = fileURLToPath(url)
  const source = await readFile(filename, 'utf8')
  const t = await typescript()
  const out = t.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: t.ModuleKind.ESNext,
      target: t.ScriptTarget.ES2022,
      // plugins may use decorators the way the gateway's tsconfig allows
      experimentalDecorators: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  })
  return { format: 'module', source: out.outputText, shortCircuit: true }
}
