/**
 * What `api.gateway.env(name)` lets a plugin read: only the variables its manifest declares —
 * by name (`"env": ["SLACK_SIGNING_SECRET"]`), or through an option or a config.toml key whose
 * value the operator fills with names (`"envFrom": ["options.shell_env_allow",
 * "config.providers.*.api_key_env"]`). The kernel's own variables (its admin token, audit key,
 * state dir…) are never readable, whoever names them: a manifest that declares one is refused, and
 * an operator's list naming one is refused when read.
 */
import { RevkaError, type PluginManifest } from '@revka/plugin-sdk'

/** the kernel's variables: REVKA_GATEWAY_ADMIN_TOKEN, REVKA_AUDIT_SIGNING_KEY, REVKA_STATE_DIR, … */
const KERNEL_ENV = /^REVKA_(GATEWAY|AUDIT|STATE|PLUGINS|ALLOW|REQUIRE|LOG|CLUSTER)_/

export function isKernelEnv(name: string): boolean {
  return KERNEL_ENV.test(name)
}

/** a manifest's declared names that belong to the kernel (the manifest is then refused) */
export function reservedEnvDeclared(m: Pick<PluginManifest, 'env'>): string[] {
  return (m.env ?? []).filter(isKernelEnv)
}

/** the strings a dotted path reaches in a document; `*` walks every member of a table */
function namesAt(doc: unknown, path: string[]): string[] {
  if (!path.length) {
    if (typeof doc === 'string') return [doc]
    return Array.isArray(doc) ? doc.filter((x): x is string => typeof x === 'string') : []
  }
  if (!doc || typeof doc !== 'object') return []
  const [head, ...rest] = path
  const members = head === '*' ? Object.values(doc) : [(doc as Record<string, unknown>)[head]]
  return members.flatMap((m) => namesAt(m, rest))
}

export interface EnvScope {
  manifest: PluginManifest
  options: Record<string, unknown>
  /** a top-level config.toml value (`api.gateway.section`) */
  section(name: string): unknown
  env: NodeJS.ProcessEnv
}

/** the plugin's `api.gateway.env`: a declared name's value; an undeclared or kernel name throws */
export function scopedEnv(s: EnvScope): (name: string) => string | undefined {
  const declared = new Set(s.manifest.env ?? [])
  const from = s.manifest.envFrom ?? []
  // the operator's lists are read on each call: options are fixed for the plugin's life, a config
  // section may be a live one
  const listed = (name: string) =>
    from.some((ref) => {
      const [where, first, ...rest] = ref.split('.')
      const doc = where === 'options' ? s.options[first] : s.section(first)
      return namesAt(doc, rest).includes(name)
    })
  const id = s.manifest.id
  return (name: string) => {
    if (isKernelEnv(name))
      throw new RevkaError('REVKA_ERR_ENV_RESERVED', `plugin ${id} asked for ${name}, one of the kernel's own variables, which no plugin reads`)
    if (!declared.has(name) && !listed(name)) {
      throw new RevkaError(
        'REVKA_ERR_ENV_UNDECLARED',
        `plugin ${id} asked for the environment variable ${name} without declaring it under "env" in revka.plugin.json`,
      )
    }
    return s.env[name]
  }
}
