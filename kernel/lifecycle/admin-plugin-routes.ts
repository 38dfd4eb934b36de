/**
 * The kernel's own routes for `revka plugins enable|disable ID`: POST /admin/plugins/:id/enable and
 * /disable. Kernel-owned (owner `kernel`, always available), not a plugin's: no plugin can be
 * disabled out from under the route that turns plugins back on. The admin socket serves them too,
 * as it serves every loopback route.
 *
 * Two doors, both required: the socket peer is loopback (the guard: no forwarding header, never
 * `::ffff:` mapped), and the caller presents the service token. Loopback alone would let any web
 * page the operator has open switch plugins off with a form POST to 127.0.0.1 (a simple request,
 * no preflight), and any other local user do it with curl; the token lives in a 0600 file only the
 * gateway's user reads, and a custom header is never sent cross-site without a preflight.
 */
import { httpError, type RouteDeclaration } from '@revka/plugin-sdk'
import type { PluginSwitch } from './plugin-switch.js'

/** the owner the route table and `revka routes` show for these routes */
export const KERNEL_OWNER = 'kernel'

export const SERVICE_TOKEN_HEADER = 'x-revka-service-token'

export function pluginSwitchRoutes(sw: PluginSwitch, verifyService: (token: string) => boolean): RouteDeclaration[] {
  return (['enable', 'disable'] as const).map((verb): RouteDeclaration => ({
    method: 'POST',
    url: `/admin/plugins/:id/${verb}`,
    auth: 'loopback',
    description:
      verb === 'enable'
        ? 'enable a plugin without a restart: setup, routes, start; the plugins file is rewritten (revka plugins enable). Loopback and X-Revka-Service-Token'
        : 'disable a plugin without a restart: 503 plugin_disabled while it drains, then 404; refused while others require it (revka plugins disable). Loopback and X-Revka-Service-Token',
    handler: (req) => {
      const token = req.headers[SERVICE_TOKEN_HEADER]
      if (typeof token !== 'string' || !verifyService(token)) {
        throw httpError(401, 'unauthorized', "Unauthorized — this route requires X-Revka-Service-Token (the service-token file in the gateway's state dir)")
      }
      return sw[verb](String(req.params.id))
    },
  }))
}
