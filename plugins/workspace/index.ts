/**
 * workspace — files under the workspace dir, shared by signed, expiring links (contract §1.17,
 * §2.9). The kernel checks `?exp=&sig=` over the wildcard part before this handler runs (403
 * otherwise); the handler then refuses any path that could leave the workspace — even a correctly
 * signed one, since a link minted for a bad path must still not escape. The gateway's own state is
 * kept outside the workspace, and neither route shares a database, journal, key or dotfile.
 */
import { createReadStream } from 'node:fs'
import { definePlugin, httpError, reply, type RevkaRequest } from '@revka/plugin-sdk'
import { contentTypeOf } from './content-type.js'
import { shareCheck } from './internal.js'
import { checkRelativePath, resolveInWorkspace, WorkspacePathError } from './paths.js'

interface Options {
  max_ttl_secs: number
}

function checked(rel: string): string {
  try {
    return checkRelativePath(rel)
  } catch (e) {
    if (e instanceof WorkspacePathError) throw httpError(400, 'invalid_path', `Invalid workspace path: ${e.message}`)
    throw e
  }
}

/**
 * Databases, journals, keys and dotfiles are never shared, by name or by what a symlink points at
 * (./internal.ts): 403 for those, 400 for a path that resolves outside the workspace.
 */
async function shareable(workspaceDir: string, rel: string): Promise<void> {
  const v = await shareCheck(workspaceDir, rel)
  if (v.ok) return
  if (v.outside) throw httpError(400, 'invalid_path', 'Invalid workspace path: it resolves outside the workspace')
  throw httpError(403, 'path_not_shareable', `This workspace path cannot be shared: it names ${v.reason}`)
}

/** `/workspace/<each segment percent-encoded>` — the router decodes it back to exactly `rel` */
export function workspaceUrlPath(rel: string): string {
  return `/workspace/${rel.split('/').map(encodeURIComponent).join('/')}`
}

export default definePlugin<Options>({
  setup(api) {
    api.routes.add({
      method: 'GET',
      url: '/workspace/*',
      auth: 'signed',
      signed: { subject: 'wildcard' },
      description: 'a workspace file, for holders of a signed URL',
      handler: async (req: RevkaRequest<undefined>) => {
        const rel = checked(req.params['*'] ?? '')
        // a link signed before the rule, or a file swapped in after signing, is checked again here
        await shareable(api.gateway.workspaceDir, rel)
        const found = await resolveInWorkspace(api.gateway.workspaceDir, rel)
        if (!found.ok) {
          if (found.reason === 'outside') throw httpError(400, 'invalid_path', 'Invalid workspace path: it resolves outside the workspace')
          throw httpError(404, 'not_found', 'File not found')
        }
        const { type, active } = contentTypeOf(found.path)
        const headers: Record<string, string> = {
          'content-type': type,
          'content-length': String(found.size),
          'cache-control': 'private, max-age=300',
          'x-content-type-options': 'nosniff',
          'last-modified': found.mtime.toUTCString(),
        }
        if (active) headers['content-security-policy'] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
        // 16 KiB reads, not 64: every read is a fresh buffer that lives until V8's next young GC, and
        // a large download's finished reads piled up meanwhile (P7, 256 MiB on Node 24: 51 MiB of
        // RSS at the peak with 64 KiB, 19 MiB with 16 KiB; the socket's backpressure paces both)
        return reply({ headers, body: createReadStream(found.path, { highWaterMark: 16 * 1024 }) })
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/workspace/sign',
      auth: ['loopback', 'bearer'],
      schema: {
        body: {
          type: 'object',
          required: ['path'],
          additionalProperties: false,
          properties: { path: { type: 'string', minLength: 1, maxLength: 1024 }, ttl_secs: { type: 'integer', minimum: 1 } },
        },
      },
      description: 'mint a signed /workspace URL: {path, ttl_secs?} → {url}',
      handler: async (req: RevkaRequest<{ path: string; ttl_secs?: number }>) => {
        const rel = checked(req.body.path.replace(/^\/+/, ''))
        const ttl = req.body.ttl_secs ?? 3600
        if (ttl > api.config.max_ttl_secs) throw httpError(400, 'invalid_ttl', `ttl_secs must be at most ${api.config.max_ttl_secs}`)
        await shareable(api.gateway.workspaceDir, rel)
        return { url: api.signUrl(workspaceUrlPath(rel), ttl, { subject: rel }) }
      },
    })
  },
})
