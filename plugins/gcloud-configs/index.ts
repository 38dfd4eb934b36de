/**
 * gcloud-configs — DOMAIN.md §15. `GET /api/gcloud/configs` lists the local gcloud CLI's named
 * configurations; `POST` creates one. Both go through the gcloud CLI (see gcloud-cli.ts), so what
 * the workflow editor shows is exactly what `gcloud --configuration <name>` will use.
 *
 * Every value reaches gcloud as its own argv entry and is checked first: nothing may start with `-`
 * (a value like `--impersonate-service-account=…` would otherwise become a flag).
 */
import { definePlugin, httpError, isHttpError, reply } from '@revka/plugin-sdk'
import { GcloudFailed, GcloudMissing, configNames, findGcloud, listConfigs, runGcloud, type GcloudConfigSummary } from './gcloud-cli.js'

interface GcloudOptions {
  max_configs?: number
  command_timeout_secs?: number
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
// project ids (and domain-scoped `example.com:proj`), accounts (emails), regions: no spaces, no
// leading dash, nothing a shell or gcloud's own parser could read as more than one value
const FIELDS: Record<string, { re: RegExp; label: string }> = {
  project: { re: /^[A-Za-z0-9][A-Za-z0-9.:_-]{0,127}$/, label: 'project' },
  account: { re: /^[A-Za-z0-9][A-Za-z0-9._%+@-]{0,254}$/, label: 'account' },
  run_region: { re: /^[a-z][a-z0-9-]{0,62}$/, label: 'run_region' },
  compute_region: { re: /^[a-z][a-z0-9-]{0,62}$/, label: 'compute_region' },
}
const PROPERTY: Record<string, string> = { project: 'core/project', account: 'core/account', run_region: 'run/region', compute_region: 'compute/region' }

interface NewConfig {
  name: string
  values: Array<[string, string]>
}

function checkBody(body: unknown): NewConfig {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw httpError(400, 'invalid_body', 'Send a JSON object: {name, project, account?, run_region?, compute_region?}')
  const b = body as Record<string, unknown>
  const name = typeof b.name === 'string' ? b.name.trim() : ''
  if (!name) throw httpError(400, 'name_required', 'name is required')
  if (!NAME.test(name))
    throw httpError(400, 'invalid_name', 'name must be at most 64 characters of letters, digits, ".", "_" and "-", starting with a letter or digit')
  const values: Array<[string, string]> = []
  for (const [key, rule] of Object.entries(FIELDS)) {
    const v = b[key]
    if (v === undefined || v === null || v === '') {
      if (key === 'project') throw httpError(400, 'project_required', 'project is required')
      continue
    }
    if (typeof v !== 'string' || !rule.re.test(v.trim())) throw httpError(400, `invalid_${key}`, `${rule.label} is not a valid value`)
    values.push([key, v.trim()])
  }
  return { name, values }
}

function cliError(e: unknown): never {
  if (e instanceof GcloudMissing)
    throw httpError(503, 'gcloud_missing', 'The gcloud CLI is not installed on the gateway host (not found on its PATH)', { retryAfter: 60 })
  if (e instanceof GcloudFailed) throw httpError(e.timedOut ? 504 : 500, e.timedOut ? 'gcloud_timeout' : 'gcloud_failed', e.message)
  throw e
}

export default definePlugin<GcloudOptions>({
  setup(api) {
    const timeoutMs = (api.config.command_timeout_secs ?? 10) * 1000
    const maxConfigs = api.config.max_configs ?? 64
    // one gcloud at a time: each run rewrites files in the same config dir
    let queue: Promise<unknown> = Promise.resolve()
    const serial = <T>(fn: () => Promise<T>): Promise<T> => {
      const next = queue.then(fn, fn)
      queue = next.catch(() => {})
      return next
    }

    api.routes.add({
      method: 'GET',
      url: '/api/gcloud/configs',
      auth: 'bearer',
      description: '{available, configs:[{name, is_active, account, project, run_region, compute_region}], error}',
      handler: async () => {
        if (!findGcloud(api.gateway)) return { available: false, configs: [], error: 'gcloud CLI not found on PATH' }
        try {
          return { available: true, configs: await serial(() => listConfigs(api.gateway, timeoutMs)), error: null }
        } catch (e) {
          return { available: true, configs: [], error: (e as Error).message }
        }
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/gcloud/configs',
      auth: 'bearer',
      description: '{name, project, account?, run_region?, compute_region?} → 201 summary; 409 exists, 429 over max_configs, 503 without gcloud',
      handler: async (req) => {
        const input = checkBody(req.body)
        if (!findGcloud(api.gateway)) cliError(new GcloudMissing())
        return serial(async () => {
          try {
            const existing = configNames(api.gateway)
            if (existing.includes(input.name)) throw httpError(409, 'gcloud_config_exists', `gcloud configuration '${input.name}' already exists`)
            if (existing.length >= maxConfigs)
              throw httpError(429, 'gcloud_config_quota', `At most ${maxConfigs} gcloud configurations (max_configs of the gcloud-configs plugin)`)
            await runGcloud(api.gateway, ['config', 'configurations', 'create', input.name, '--no-activate'], timeoutMs)
            try {
              for (const [key, value] of input.values) {
                await runGcloud(api.gateway, ['config', 'set', PROPERTY[key], value, `--configuration=${input.name}`], timeoutMs)
              }
            } catch (e) {
              // no half-made configuration stays behind
              await runGcloud(api.gateway, ['config', 'configurations', 'delete', input.name], timeoutMs).catch(() => {})
              throw e
            }
            // every step succeeded, so the summary is what was set (another gcloud run would cost ~1 s)
            const set = Object.fromEntries(input.values)
            const made: GcloudConfigSummary = {
              name: input.name,
              is_active: false,
              account: set.account ?? null,
              project: set.project ?? null,
              run_region: set.run_region ?? null,
              compute_region: set.compute_region ?? null,
            }
            return reply({ status: 201, body: made })
          } catch (e) {
            if (isHttpError(e)) throw e
            cliError(e)
          }
        })
      },
    })
  },
})
