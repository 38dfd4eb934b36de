/**
 * track — click tracking (contract §1.17, §2.9): `GET /track/c/{token}?u=<dest>` answers 303 to the
 * destination, after recording the click (a JSONL file in the plugin's store dir) and emitting a
 * `click` event on the bus. It is public, so it must not become an open redirect: destinations are
 * absolute http(s) URLs on allowed hosts, and with a secret only signed tokens redirect. Refusals
 * are 400 in the contract's JSON shape. Cheap on purpose: the contract asks for < 200 ms.
 */
import { definePlugin, httpError, reply, resolveSecret, type RevkaRequest } from '@revka/plugin-sdk'
import { checkDestination, parseAllowedHosts } from './destination.js'
import { ClickLog } from './click-log.js'
import { readToken } from './token.js'

interface Options {
  secret?: string
  allowed_hosts?: string[]
}

const REASONS = {
  missing: ['missing_destination', 'Missing destination (u)'],
  invalid: ['invalid_destination', 'Invalid destination: an absolute http(s) URL is required'],
  not_allowed: ['invalid_destination', 'Invalid destination: host is not allowed'],
} as const

export default definePlugin<Options>({
  setup(api) {
    // read once: a changed secret or allow-list takes effect at restart, like the rest of the config
    const secret = resolveSecret({ env: 'CLICK_TRACKING_SECRET', config: 'secret' }, api.config, (name) => api.gateway.env(name))
    const allowed = parseAllowedHosts(
      api.gateway.env('CLICK_TRACKING_ALLOWED_HOSTS')?.trim() ? api.gateway.env('CLICK_TRACKING_ALLOWED_HOSTS') : api.config.allowed_hosts,
    )
    let log: ClickLog | undefined
    // closed (its queued appends flushed) by the kernel when the plugin stops or is disabled
    api.onStart(() => {
      log = api.own(new ClickLog(`${api.store.dir}/clicks.jsonl`))
    })

    api.routes.add({
      method: 'GET',
      url: '/track/c/:token',
      auth: 'public',
      description: 'record a click and redirect (303) to an allowed destination',
      handler: async (req: RevkaRequest<undefined>) => {
        const dest = checkDestination(req.query.u, allowed)
        if (!dest.ok) {
          const [code, message] = REASONS[dest.reason]
          throw httpError(400, code, message)
        }
        const token = readToken(req.params.token ?? '', secret)
        if (!token.ok) throw httpError(400, 'invalid_token', 'Invalid or unverified token')
        const click = { at: new Date().toISOString(), kref: token.kref, signed: token.signed, url: dest.url.href, host: dest.url.hostname }
        // a record that cannot be written must not strand the person who clicked
        await log?.append(click).catch((e) => api.log.warn({ err: (e as Error).message }, 'click not recorded'))
        api.events.emit('click', click)
        return reply({
          status: 303,
          headers: { location: dest.url.href, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
          body: '',
        })
      },
    })
  },
})
