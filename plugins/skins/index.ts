/**
 * skins — dashboard skins (contract DOMAIN.md §13): the built-ins `revka` and `matrix`, ZIP
 * import with the contract's validation plus zip-bomb and zip-slip refusals, a public asset route,
 * delete. Imported skins live in the plugin's private folder (`<state>/plugins/skins/skins/<id>/`),
 * never in the workspace. One import runs at a time (another gets 429 with Retry-After), and the
 * number of stored skins is bounded (`max_skins`, 507 past it). In cluster mode the skins are
 * shared through PostgreSQL (shared-skins.ts): imported on one node, listed and served on all.
 */
import { createReadStream, statSync } from 'node:fs'
import { definePlugin, httpError, KernelServices, reply, type RevkaRequest } from '@revka/plugin-sdk'
import { BUILTIN_SKINS } from './builtins.js'
import { importSkin, localQuota } from './importer.js'
import { SKIN_LIMITS } from './limits.js'
import { BUILTIN_IDS, SKIN_ID, type SkinManifest } from './manifest.js'
import { SharedSkins } from './shared-skins.js'
import { SkinStore } from './store.js'

interface Options {
  max_skins?: number
  imports_per_minute?: number
}

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp' }

function summary(m: SkinManifest, builtin: boolean) {
  return { id: m.id, name: m.name, version: m.version, manifest: m, assetBasePath: `/api/skins/${m.id}/assets`, builtin }
}

function skinId(raw: string | undefined): string {
  if (!raw || !SKIN_ID.test(raw)) throw httpError(400, 'invalid_skin_id', 'invalid skin id')
  return raw
}

/** An asset path as the router decoded it: plain segments only, no way up or sideways. */
function assetPath(raw: string): string {
  const segments = raw.split('/')
  if (!raw || raw.includes('\\') || /[\x00-\x1f]/.test(raw) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw httpError(400, 'invalid_path', `invalid path: ${JSON.stringify(raw.slice(0, 200))}`)
  }
  return raw
}

async function readBody(req: RevkaRequest<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  if (req.stream) for await (const c of req.stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

export default definePlugin<Options>({
  setup(api) {
    const store = new SkinStore(api.store.dir)
    const maxSkins = api.config.max_skins ?? 64
    let importing = false
    /** cluster mode only; set at start */
    let shared: SharedSkins | undefined
    const onWriteError = (err: Error) =>
      api.log.error({ err: err.message }, 'REVKA_ERR_SKIN_WRITE: a skin import could not be stored; its staging folder was removed')

    api.routes.add({
      method: 'GET',
      url: '/api/skins',
      auth: 'bearer',
      description: 'built-in and imported skins, sorted by name then id',
      handler: async () => {
        const imported = shared ? await shared.list() : store.list()
        const all = [...BUILTIN_SKINS.map((m) => summary(m, true)), ...imported.map((m) => summary(m, false))]
        all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        return { skins: all }
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/skins/import',
      auth: 'bearer',
      // streamed: any Content-Type is ZIP bytes here (a JSON type must not be parsed); the kernel
      // cuts the stream at the limit with 413
      bodyLimit: SKIN_LIMITS.bodyBytes,
      timeoutMs: SKIN_LIMITS.timeoutMs,
      rateLimit: { perMinute: api.config.imports_per_minute ?? 20 },
      stream: true,
      description: 'import a skin from the raw ZIP body (25 MiB, 120 s)',
      handler: async (req: RevkaRequest<unknown>) => {
        // inflating and writing up to 50 MiB is the costly part: one at a time for the whole gateway
        if (importing) throw httpError(429, 'import_busy', 'Another skin import is running; retry shortly', { retryAfter: 2 })
        importing = true
        try {
          const zip = await readBody(req)
          const s = shared
          let revision = 0
          const admit = s ? async (m: SkinManifest) => (revision = await s.admit(m, maxSkins)) : localQuota(store, maxSkins)
          const manifest = await importSkin(zip, store, { admit, onWriteError })
          if (s) {
            // the local copy is only a cache of the shared row: without the row the import did not
            // happen (a copy whose revision no row has is extracted again from the row when asked for)
            try {
              await s.save(manifest, zip, revision, maxSkins, Date.now())
            } catch (e) {
              store.delete(manifest.id)
              throw e
            }
          }
          api.audit.record(
            { event_type: 'config_change', action: { command: `skin.import ${manifest.id}`, risk_level: 'low', approved: true, allowed: true } },
            req,
          )
          return { skin: summary(manifest, false) }
        } finally {
          importing = false
        }
      },
    })

    api.routes.add({
      method: 'DELETE',
      url: '/api/skins/:id',
      auth: 'bearer',
      description: 'delete an imported skin (204 also for built-in or unknown ids)',
      handler: async (req: RevkaRequest<undefined>) => {
        const id = skinId(req.params.id)
        if (!BUILTIN_IDS.has(id) && (shared ? await shared.delete(id) : store.delete(id))) {
          api.audit.record({ event_type: 'config_change', action: { command: `skin.delete ${id}`, risk_level: 'low', approved: true, allowed: true } }, req)
        }
        return reply({ status: 204 })
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/skins/:id/assets/*',
      auth: 'public',
      description: 'a skin asset (public: the dashboard loads them as images)',
      handler: async (req: RevkaRequest<undefined>) => {
        const id = skinId(req.params.id)
        const rel = assetPath(req.params['*'] ?? '')
        const ext = rel.slice(rel.lastIndexOf('.') + 1).toLowerCase()
        const type = IMAGE_TYPES[ext]
        // in a cluster the skin may have been imported, replaced or deleted through another node
        const here = type !== undefined && !BUILTIN_IDS.has(id) && (!shared || (await shared.ensureLocal(id)))
        const file = here ? store.assetFile(id, rel) : null
        if (!file) throw httpError(404, 'not_found', 'not found')
        return reply({
          headers: {
            'content-type': type,
            'content-length': String(statSync(file).size),
            'x-content-type-options': 'nosniff',
            'cache-control': 'private, max-age=300',
          },
          body: createReadStream(file),
        })
      },
    })

    api.onStart(async () => {
      store.init()
      const sql = api.services.find(KernelServices.sharedSql)
      if (sql) shared = await SharedSkins.open(sql, store, api.log, onWriteError)
    })
  },
})
