#!/usr/bin/env node
// `npm run build` / `prepare`, after the kernel bundle: build the operator console (Preact, TSX
// under plugins/dashboard/console/src) into plugins/dashboard/console/dist, the web root the
// dashboard plugin serves by default: index.html plus assets/<name>-<hash>.js|css (hashed, so the
// plugin can cache them as immutable) with .gz and .br beside them (served to clients that accept
// them). The JavaScript budget is enforced here: more than BUDGET_GZIP bytes gzip fails the build.
//
// The build goes to a temporary folder that replaces dist/ in one rename, so a running gateway
// never serves an index.html that names assets not yet written.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const root = fileURLToPath(new URL('..', import.meta.url))
const consoleDir = join(root, 'plugins/dashboard/console')
const dist = join(consoleDir, 'dist')
const tmp = join(consoleDir, `.dist-${process.pid}`)
/** issue 12: under 150 KB of JavaScript (gzip) for the first page */
const BUDGET_GZIP = 150 * 1024

let esbuild
try {
  esbuild = await import('esbuild')
} catch {
  // a production install without devDependencies: keep a dist/ that shipped, else say why there is none
  console.log(
    existsSync(join(dist, 'index.html'))
      ? 'console: esbuild is not installed; keeping the existing build'
      : 'console: esbuild is not installed, so the console is not built; the dashboard plugin answers 503 until it is (npm install with dev dependencies, or set [gateway] web_root)',
  )
  process.exit(0)
}

rmSync(tmp, { recursive: true, force: true })
mkdirSync(join(tmp, 'assets'), { recursive: true })
let result
try {
  result = await esbuild.build({
    entryPoints: [join(consoleDir, 'src/main.tsx')],
    outdir: join(tmp, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    target: ['chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(consoleDir, 'tsconfig.json'),
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  })
} catch {
  rmSync(tmp, { recursive: true, force: true })
  console.error('console: build failed (see above)')
  process.exit(1)
}

const outputs = Object.keys(result.metafile.outputs).map((f) => join(root, f))
const js = outputs.filter((f) => f.endsWith('.js'))
const css = outputs.filter((f) => f.endsWith('.css'))
let jsGzip = 0
for (const f of [...js, ...css]) {
  const bytes = readFileSync(f)
  const gz = gzipSync(bytes, { level: 9 })
  if (f.endsWith('.js')) jsGzip += gz.length
  writeFileSync(`${f}.gz`, gz)
  writeFileSync(`${f}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
}
if (jsGzip > BUDGET_GZIP) {
  rmSync(tmp, { recursive: true, force: true })
  console.error(`console: ${jsGzip} bytes of JavaScript (gzip) is over the ${BUDGET_GZIP}-byte budget`)
  process.exit(1)
}

// asset URLs start with /_app/: the dashboard plugin rewrites them to {prefix}/_app/ under path_prefix
const asset = (f) => `/_app/assets/${basename(f)}`
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Revka console</title>
<script>try{var t=localStorage.getItem('revka.theme');if(t==='light'||t==='dark')document.documentElement.dataset.theme=t}catch(e){}</script>
${css.map((f) => `<link rel="stylesheet" href="${asset(f)}">`).join('\n')}
${js.map((f) => `<script type="module" src="${asset(f)}"></script>`).join('\n')}
</head>
<body>
<div id="app"></div>
<noscript>The Revka console needs JavaScript.</noscript>
</body>
</html>
`
writeFileSync(join(tmp, 'index.html'), html)
rmSync(dist, { recursive: true, force: true })
renameSync(tmp, dist)
const jsBytes = js.reduce((n, f) => n + readFileSync(join(dist, 'assets', basename(f))).length, 0)
console.log(
  `console: plugins/dashboard/console/dist (${(jsBytes / 1024).toFixed(1)} KiB JavaScript, ${(jsGzip / 1024).toFixed(1)} KiB gzip; budget ${BUDGET_GZIP / 1024} KiB)`,
)
