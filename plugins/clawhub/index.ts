/**
 * clawhub — DOMAIN.md §5: the marketplace routes, an honest proxy to the ClawHub URL the operator
 * configured (upstream.ts). Search, trending and detail pass the marketplace's JSON through;
 * install stores the skill in the domain store (install.ts).
 *
 * Deliberate differences: no marketplace is contacted until `api_url` is set (the reference
 * defaults to https://clawhub.ai) — until then 503 `clawhub_not_configured` says what to set; an
 * unreachable marketplace is 503 (reference 502) and a timeout 504, so the dashboard's retry
 * logic treats both as passing; a marketplace 401/403 becomes 502, never 401.
 */
import { domainStoreAccessor, definePlugin, domainProjects, httpError, reply, type RevkaRequest } from '@revka/plugin-sdk'
import { installSkill } from './install.js'
import { Upstream } from './upstream.js'

interface ClawhubOptions {
  api_url?: string
  timeout_secs?: number
  max_inflight?: number
  max_response_bytes?: number
}

const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

function limitOf(req: RevkaRequest): number {
  const raw = req.query.limit
  if (raw === undefined || raw === '') return 20
  if (typeof raw !== 'string' || !/^[0-9]{1,4}$/.test(raw)) throw httpError(400, 'invalid_query', 'limit must be a positive integer')
  return Math.min(100, Math.max(1, Number(raw)))
}

function slugOf(req: RevkaRequest): string {
  const slug = req.params.slug ?? ''
  if (!SLUG.test(slug) || slug.includes('..')) throw httpError(400, 'invalid_slug', 'slug must be 1–128 letters, digits, ".", "_" or "-"')
  return slug
}

export default definePlugin<ClawhubOptions>({
  setup(api) {
    const storeOf = domainStoreAccessor(api)
    const section = () => api.gateway.section<{ enabled?: unknown; api_url?: unknown; api_token?: unknown }>('clawhub')
    const upstream = new Upstream(() => {
      const s = section()
      const fromConfig = typeof s?.api_url === 'string' && /^https?:\/\//.test(s.api_url.trim()) ? s.api_url.trim() : undefined
      return {
        baseUrl: api.config.api_url ?? fromConfig,
        token: typeof s?.api_token === 'string' && s.api_token ? s.api_token : undefined,
        timeoutMs: (api.config.timeout_secs ?? 15) * 1000,
        maxBytes: api.config.max_response_bytes ?? 4 * 1024 * 1024,
        maxInflight: api.config.max_inflight ?? 16,
      }
    })
    const enabled = () => {
      if (section()?.enabled === false) throw httpError(400, 'clawhub_disabled', 'ClawHub integration disabled')
    }

    api.routes.add({
      method: 'GET',
      url: '/api/clawhub/search',
      auth: 'bearer',
      description: "?q&limit → the marketplace's search JSON as it answered",
      handler: async (req) => {
        enabled()
        const q = typeof req.query.q === 'string' ? req.query.q.trim() : ''
        if (!q) throw httpError(400, 'q_required', 'q is required')
        if (q.length > 500) throw httpError(400, 'invalid_query', 'q is longer than 500 characters')
        return upstream.json(`/api/v1/search?q=${encodeURIComponent(q)}&limit=${limitOf(req)}`)
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/clawhub/trending',
      auth: 'bearer',
      description: "?limit → the marketplace's trending skills JSON",
      handler: async (req) => {
        enabled()
        return upstream.json(`/api/v1/skills?sort=trending&limit=${limitOf(req)}&nonSuspiciousOnly=true`)
      },
    })

    api.routes.add({
      method: 'GET',
      url: '/api/clawhub/skills/:slug',
      auth: 'bearer',
      description: "the marketplace's skill detail plus skill_md (SKILL.md text, when it has one)",
      handler: async (req) => {
        enabled()
        const slug = encodeURIComponent(slugOf(req))
        const [detail, md] = await Promise.all([
          upstream.json(`/api/v1/skills/${slug}`),
          upstream.get(`/api/v1/skills/${slug}/file?path=SKILL.md&tag=latest`).catch(() => undefined),
        ])
        const out = detail && typeof detail === 'object' && !Array.isArray(detail) ? ({ ...(detail as object) } as Record<string, unknown>) : { detail }
        if (md && md.status >= 200 && md.status < 300) {
          // the reference attaches a JSON answer as-is; a plain SKILL.md body is attached as text
          try {
            out.skill_md = JSON.parse(md.text)
          } catch {
            out.skill_md = md.text
          }
        }
        return out
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/clawhub/install/:slug',
      auth: 'bearer',
      description: 'install a marketplace skill into the domain store → 201 {installed, slug, name, kref, description}; 409 when installed',
      handler: async (req) => {
        enabled()
        const slug = slugOf(req)
        const store = storeOf()
        return reply({ status: 201, body: await installSkill(store, upstream, slug, domainProjects(api.gateway).memory) })
      },
    })
  },
})
