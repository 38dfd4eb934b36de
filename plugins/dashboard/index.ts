/**
 * dashboard — serves a single-page dashboard (contract §1.0 "Fallback", §1.17, path_prefix):
 * `GET /_app/*` are its files (under `assets/`: cached for a year, immutable; the rest revalidated
 * every time), and every GET no other route matched is its index.html (200, `no-cache`), rewritten
 * for the path prefix. Unknown `/api/*`, `/ws/*` and `/admin/*` paths stay 404 JSON and other
 * unmatched methods get 405: the kernel decides that around the fallback route (SDK `fallback`).
 *
 * The build served is `REVKA_WEB_ROOT`, else `[gateway] web_root`, else our console
 * (console/dist beside this file, built at install). Files go out through the SDK's `fileReply`
 * (the kernel sends them with @fastify/static): nothing here opens an asset itself.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { definePlugin, fileReply, httpError, reply, type RevkaRequest } from '@revka/plugin-sdk'
import { chooseWebRoot, stateOverlapProblem, webRootHint, webRootProblem } from './web-root.js'
import { etagMatches, IndexPageCache } from './index-page.js'
import { notBuiltPage } from './not-built.js'

interface Options {
  console_dir?: string
}

const HERE = dirname(fileURLToPath(import.meta.url))
const IMMUTABLE = 'public, max-age=31536000, immutable'
const HTML = 'text/html; charset=utf-8'

export default definePlugin<Options>({
  setup(api) {
    const prefix = api.gateway.pathPrefix
    const consoleDir = api.config.console_dir ?? join(HERE, 'console', 'dist')
    const root = chooseWebRoot({
      env: api.gateway.env('REVKA_WEB_ROOT'),
      config: api.gateway.section<{ web_root?: unknown }>('gateway')?.web_root,
      configPath: (p) => api.gateway.configPath(p),
      consoleDir,
    })
    const configured = root.kind !== 'console'
    // the overlap with the state dir cannot change while the gateway runs: checked once the root
    // exists, then remembered; existence and index.html are checked again on every request
    let overlap: string | undefined
    let overlapChecked = false
    const problemNow = (): string | undefined => {
      const missing = webRootProblem(root)
      if (missing) return missing
      if (!overlapChecked) {
        overlap = stateOverlapProblem(root, (dir) => api.gateway.stateOverlap(dir))
        overlapChecked = true
      }
      return overlap
    }
    const page = new IndexPageCache(root.dir, prefix)

    // the start-up diagnostic: a configured build that cannot be served is an error (health says
    // so, every page answers 503 with the hint); an unbuilt console is a warning and a notice page
    const problem = problemNow()
    if (problem && configured)
      api.log.error({ webRoot: root.dir, from: root.origin }, `REVKA_ERR_DASHBOARD_WEB_ROOT: ${problem}; pages answer 503 until it is fixed`)
    else if (problem) api.log.warn({ consoleDir }, `the built-in console is not built (${problem}); GET / shows how to build it`)
    else api.log.debug({ webRoot: root.dir, from: root.origin }, 'serving the dashboard')

    api.hooks.health.tap((sink) => {
      const now = problemNow()
      if (now && configured) sink.report('dashboard', 'error', `REVKA_ERR_DASHBOARD_WEB_ROOT: ${now}`)
      else sink.report('dashboard', 'ok', now ? 'the built-in console is not built' : undefined)
    })

    const unavailable = () => {
      const why = problemNow() ?? `${root.dir}/index.html cannot be served (larger than 4 MiB, or a link leading out of the web root)`
      return reply({
        status: 503,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '60' },
        body: webRootHint(root, why),
      })
    }

    api.routes.add({
      method: 'GET',
      url: '/_app/*',
      auth: 'public',
      description: "the dashboard's files: assets/* immutable for a year, everything else no-cache; ETag/304, pre-compressed .br/.gz",
      handler: (req: RevkaRequest) => {
        const problem = problemNow()
        if (problem && configured) return unavailable()
        if (problem) throw httpError(404, 'not_found', `No file for GET ${req.url.split('?')[0]}`)
        const path = req.params['*'] ?? ''
        if (!path) throw httpError(404, 'not_found', `No file for GET ${req.url.split('?')[0]}`)
        return fileReply(path, { root: root.dir, cacheControl: path.startsWith('assets/') ? IMMUTABLE : 'no-cache' })
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/*',
      auth: 'public',
      fallback: true,
      description: 'the dashboard page (index.html, no-cache) for every GET no route matched, outside /api, /ws and /admin',
      handler: async (req: RevkaRequest) => {
        const p = problemNow() ? undefined : await page.get()
        if (!p) {
          if (configured) return unavailable()
          return reply({ headers: { 'content-type': HTML, 'cache-control': 'no-cache' }, body: notBuiltPage(prefix, consoleDir) })
        }
        const headers = { 'content-type': HTML, 'cache-control': 'no-cache', etag: p.etag }
        const ifNoneMatch = req.headers['if-none-match']
        if (etagMatches(typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined, p.etag))
          return reply({ status: 304, headers: { 'cache-control': 'no-cache', etag: p.etag } })
        return reply({ headers, body: p.body })
      },
    })
  },
})
