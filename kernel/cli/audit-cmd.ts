/**
 * `revka audit verify` — the chain check of `GET /api/audit/verify`, offline: from the state dir's
 * files, with `REVKA_AUDIT_SIGNING_KEY` from this shell's environment, no gateway needed. Exit 0
 * when verified, 1 when a line is broken (named by file and line) or the config is unusable. In
 * cluster mode (`[cluster]` in config.toml) the nodes' one chain is in PostgreSQL, so that is what
 * it checks (the node's file log from before it joined is left as it was).
 *
 * Also the CLI's own audit entries (`revka plugins enable|disable`): written through the same
 * locked writer a running gateway uses, so both continue one chain.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseToml } from 'smol-toml'
import type { AuditInput, AuditVerdict } from '@revka/plugin-sdk'
import { resolveStatePaths, type StatePaths } from '../config/state-dir.js'
import { auditSettings, type AuditSettings } from '../audit/settings.js'
import { AuditLog } from '../audit/audit-log.js'
import { AUDIT_FILE, auditDir } from '../audit/files.js'
import { clusterSettingsFrom, type ClusterSettings } from '../cluster/settings.js'
import { importModule } from '../registry/import-module.js'
import { str, UsageError, type ParsedArgs } from './args.js'

/** `[security.audit]` of the state dir's config.toml, read without creating anything */
function settingsOf(paths: StatePaths, env: NodeJS.ProcessEnv): AuditSettings {
  return auditSettings(configOf(paths).security, env)
}

function configOf(paths: StatePaths): Record<string, unknown> {
  return existsSync(paths.configFile) ? (parseToml(readFileSync(paths.configFile, 'utf8')) as Record<string, unknown>) : {}
}

function openLog(paths: StatePaths, env: NodeJS.ProcessEnv): AuditLog {
  const log = {
    warn: (o: object, m: string) => process.stderr.write(`revka: ${m}\n`),
    error: (o: object, m: string) => process.stderr.write(`revka: ${m} ${JSON.stringify(o)}\n`),
  }
  return new AuditLog({ kernelDir: paths.kernelDir, settings: settingsOf(paths, env), clock: Date.now, log: log as any })
}

export async function auditCommand(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [, sub] = args.positionals
  if (sub !== 'verify') throw new UsageError(`unknown audit subcommand "${sub ?? ''}" (revka audit verify)`)
  const paths = resolveStatePaths({ stateDir: str(args.flags, 'state-dir'), env })
  const settings = settingsOf(paths, env)
  const out = (s: string) => process.stdout.write(s + '\n')
  if (!settings.enabled) {
    out(
      args.flags.json
        ? JSON.stringify({ verified: false, error: 'Audit logging not enabled' })
        : 'error audit logging is not enabled ([security.audit] enabled = false)',
    )
    return 1
  }
  const refused = (e: unknown): number => {
    const error = (e as Error).message
    out(args.flags.json ? JSON.stringify({ verified: false, error }) : `error ${error}`)
    return 1
  }
  let cluster: ClusterSettings | null
  let v: AuditVerdict & { files?: number }
  try {
    cluster = clusterSettingsFrom(configOf(paths), env)
  } catch (e) {
    return refused(e)
  }
  if (cluster) {
    try {
      v = await verifyShared(cluster, settings)
    } catch (e) {
      return refused(e)
    }
  } else {
    // reading only: the verifier never takes the writer's lock or cuts a torn line
    const { AuditVerifier } = await import('../audit/verify.js')
    v = await new AuditVerifier(join(auditDir(paths.kernelDir), AUDIT_FILE), settings.keep, settings.signingKey).verify()
  }
  const where = cluster ? 'PostgreSQL (the cluster chain)' : `${v.files} file(s)`
  if (args.flags.json) out(JSON.stringify(v))
  else if (v.verified) out(`ok    audit chain verified: ${v.entry_count} entries in ${where}${settings.signingKey ? `, ${v.signed_entries} signed` : ''}`)
  else out(`error audit chain broken: ${v.error}`)
  return v.verified ? 0 : 1
}

/** the cluster's chain, read through one connection of its own (only `pg` is loaded, not Redis) */
async function verifyShared(cluster: ClusterSettings, settings: AuditSettings): Promise<AuditVerdict> {
  const pg = await importModule('pg')
  const Pool = pg.Pool ?? pg.default?.Pool
  const pool = new Pool({ connectionString: cluster.postgresUrl, max: 1, connectionTimeoutMillis: 5000 })
  pool.on('error', () => {})
  try {
    const head = await pool.query("SELECT to_regclass('revka_audit_head') AS t").catch((e: Error) => {
      throw new Error(`cannot reach the cluster's PostgreSQL (${e.message})`)
    })
    if (!head.rows[0].t) throw new Error('no cluster audit chain yet: no node of this cluster has started')
    const { SharedSql } = await import('../cluster/shared-sql.js')
    const { SharedChainVerifier } = await import('../cluster/audit-pg-verify.js')
    return await new SharedChainVerifier(new SharedSql(pool, cluster.nodeId, () => {}), settings.signingKey).verify()
  } finally {
    await pool.end().catch(() => {})
  }
}

/** one entry from a CLI command; only when the state dir already exists (never creates one) */
export function recordFromCli(stateDir: string | undefined, input: AuditInput): void {
  const paths = resolveStatePaths({ stateDir })
  if (!existsSync(paths.kernelDir)) return
  const log = openLog(paths, process.env)
  try {
    log.record(input, { channel: 'cli', user_id: process.env.USER ?? null, username: null })
  } finally {
    log.close()
  }
}
