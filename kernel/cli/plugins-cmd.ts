/** `revka plugins list|info|enable|disable` — from manifests, without importing any plugin. */
import { join } from 'node:path'
import { readPluginsFile, pluginsFilePath, setEnabled } from '../registry/plugins-file.js'
import { resolvePluginSet } from '../lifecycle/plugin-set.js'
import { PROJECT_ROOT } from '../lifecycle/kernel.js'
import { str, UsageError, type ParsedArgs } from './args.js'
import { isSecretKey, maskDoc } from '../config/mask.js'

/** names of options a manifest's schema marks secret: `x-secret: true` or `writeOnly: true` */
function schemaSecretNames(schema: unknown, out = new Set<string>()): Set<string> {
  if (!schema || typeof schema !== 'object') return out
  const s = schema as Record<string, unknown>
  for (const [name, sub] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
    const o = sub && typeof sub === 'object' ? (sub as Record<string, unknown>) : undefined
    if (o && (o['x-secret'] === true || o.writeOnly === true)) out.add(name)
    schemaSecretNames(sub, out)
  }
  for (const k of ['items', 'additionalProperties']) schemaSecretNames(s[k], out)
  return out
}

/**
 * An option whose name says token, secret, key or password, as a word of it: `botToken`,
 * `signing_key`, `API-Key`, `adminPassword` — but not `maxTokens` or `keyboard`.
 */
const SECRET_WORDS = new Set(['token', 'secret', 'key', 'password', 'passwd', 'apikey'])
export function secretByName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
  return words.some((w) => SECRET_WORDS.has(w)) || isSecretKey(name)
}

/**
 * The options as `info` prints them: names that say secret, options the schema marks `x-secret`
 * or `writeOnly`, header values and URL credentials masked like GET /api/config masks
 * config.toml. A terminal is not a vault.
 */
export function printableOptions(options: Record<string, unknown>, configSchema: unknown): Record<string, unknown> {
  const hidden = schemaSecretNames(configSchema)
  return maskDoc(options, (k) => secretByName(k) || hidden.has(k))
}

function load(args: ParsedArgs) {
  const file = readPluginsFile(pluginsFilePath(str(args.flags, 'plugins')))
  const records = resolvePluginSet({ file, builtinDir: join(PROJECT_ROOT, 'plugins'), projectRoot: PROJECT_ROOT, extraPaths: [], mode: 'gateway' })
  return { file, records }
}

function verdict(status: string): string {
  return status === 'discovered' ? 'ready' : status
}

export async function pluginsCommand(args: ParsedArgs): Promise<number> {
  const [, sub, id] = args.positionals
  const out = (s: string) => process.stdout.write(s + '\n')
  if (sub === 'list' || sub === undefined) {
    const { records } = load(args)
    const rows = records.map((r) => ({
      id: r.id,
      version: r.manifest?.version ?? '?',
      source: r.source,
      enabled: r.enabled,
      status: verdict(r.status),
      diagnostic: r.diagnostic ?? null,
      dir: r.dir,
    }))
    if (args.flags.json) {
      out(JSON.stringify(rows, null, 2))
      return 0
    }
    out(`${'ID'.padEnd(22)}${'VERSION'.padEnd(10)}${'SOURCE'.padEnd(9)}${'ENABLED'.padEnd(9)}STATUS`)
    for (const r of rows)
      out(
        `${r.id.padEnd(22)}${r.version.padEnd(10)}${r.source.padEnd(9)}${String(r.enabled).padEnd(9)}${r.status}${r.diagnostic && r.status !== 'disabled' ? ` — ${r.diagnostic}` : ''}`,
      )
    return 0
  }
  if (!id) throw new UsageError(`revka plugins ${sub} needs a plugin id`)
  // a running gateway applies the change live and rewrites its own plugins file
  if (sub === 'enable' || sub === 'disable') {
    const live = await (await import('./plugins-live.js')).switchLive(args, id, sub)
    if (live !== undefined) return live
  }
  const { file, records } = load(args)
  const rec = records.find((r) => r.id === id)
  if (!rec) {
    process.stderr.write(`revka: no plugin "${id}" (see revka plugins list)\n`)
    return 1
  }
  if (sub === 'info') {
    out(
      JSON.stringify(
        {
          ...rec.manifest,
          source: rec.source,
          dir: rec.dir,
          enabled: rec.enabled,
          status: verdict(rec.status),
          diagnostic: rec.diagnostic ?? null,
          options: printableOptions(file.plugins[id]?.options ?? {}, rec.manifest?.configSchema),
        },
        null,
        2,
      ),
    )
    return 0
  }
  if (sub === 'enable' || sub === 'disable') {
    setEnabled(file, id, sub === 'enable')
    ;(await import('./audit-cmd.js')).recordFromCli(str(args.flags, 'state-dir'), {
      event_type: 'config_change',
      action: { command: `plugin.${sub} ${id}`, risk_level: 'medium' },
      result: { success: true },
    })
    out(`${id} ${sub}d in ${file.path} (no gateway answered; it applies at the next start)`)
    return 0
  }
  throw new UsageError(`unknown plugins subcommand "${sub}"`)
}
