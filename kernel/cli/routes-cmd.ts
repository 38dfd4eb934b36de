/**
 * `revka routes [--json]` — the route table the next start would mount: method, path (with the
 * path prefix), auth, body limit, timeout, rate limit and owning plugin.
 *
 * It boots the kernel without listening (discover, import, set up: every route is declared then)
 * rather than asking a running gateway: it works with no gateway running and with no credential,
 * and it shows what config.toml and the plugins file say now — which a live enable or disable also
 * writes. The boot runs in a scratch state dir holding a copy of config.toml, so it never touches
 * a running gateway's files (its audit chain, logs, databases, temp files); the copy leaves out
 * `[gateway.tls]`, whose PEM paths may be relative to the real config folder and which changes no
 * route.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse, stringify } from 'smol-toml'
import { KernelServices, writeFileAtomicSync, type RouteInfo } from '@revka/plugin-sdk'
import { resolveStatePaths } from '../config/state-dir.js'
import { Kernel } from '../lifecycle/kernel.js'
import { str, type ParsedArgs } from './args.js'

/** One row of `revka routes --json`: the route as the kernel service describes it, plus the full path. */
export interface RouteRow extends RouteInfo {
  /** the path as requested: the gateway's path prefix, then the route's url */
  path: string
}

function scratchConfig(realConfig: string, scratchDir: string): void {
  if (!existsSync(realConfig)) return // the kernel writes its defaults, as a first start would
  const doc = parse(readFileSync(realConfig, 'utf8')) as Record<string, any>
  if (doc.gateway && typeof doc.gateway === 'object') delete doc.gateway.tls
  writeFileAtomicSync(join(scratchDir, 'config.toml'), stringify(doc), 0o600)
}

/** Boot without listening and read the route table; throws what the start would (bad config…). */
export async function collectRoutes(opts: {
  stateDir?: string
  pluginsFile?: string
  env?: NodeJS.ProcessEnv
}): Promise<{ rows: RouteRow[]; problems: string[] }> {
  const env = opts.env ?? process.env
  const real = resolveStatePaths({ stateDir: opts.stateDir, env })
  const scratch = mkdtempSync(join(tmpdir(), 'revka-routes-'))
  try {
    scratchConfig(real.configFile, scratch)
    const kernel = new Kernel({ env: { ...env, REVKA_STATE_DIR: scratch }, pluginsFile: opts.pluginsFile, logStdout: false, logLevel: 'error' })
    try {
      await kernel.boot()
      const prefix = kernel.settings.pathPrefix
      const rows = kernel
        .service(KernelServices.routes)!
        .list()
        .map((r) => ({ ...r, path: `${prefix}${r.url}` }))
      const problems = kernel
        .pluginInfos()
        .filter((p) => p.enabled && (p.status === 'failed' || p.status === 'incompatible'))
        .map((p) => `plugin ${p.id} is ${p.status}, its routes are not listed: ${p.diagnostic ?? ''}`)
      return { rows, problems }
    } finally {
      await kernel.stop('routes listed')
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

function size(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} B`
}

function authOf(r: RouteInfo): string {
  if (r.auth === 'provider') return 'webhook-signature'
  const ways: string[] = [...r.auth]
  if (r.anonymous) ways.push('anonymous')
  return ways.join('|')
}

/** The table as printed: one line per method and path. */
export function formatRoutes(rows: RouteRow[]): string {
  const lines = rows.flatMap((r) =>
    r.methods.map((m) => [
      m,
      r.path,
      authOf(r) + (r.websocket ? ' (ws)' : ''),
      size(r.bodyLimit),
      `${r.timeoutMs / 1000} s${r.streaming ? ' head' : ''}`,
      r.rateLimitPerMinute ? `${r.rateLimitPerMinute}/min` : '-',
      r.plugin,
    ]),
  )
  const head = ['METHOD', 'PATH', 'AUTH', 'BODY', 'TIMEOUT', 'RATE', 'PLUGIN']
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ')
  return [fmt(head), ...lines.map(fmt)].join('\n') + '\n'
}

export async function routesCommand(args: ParsedArgs): Promise<number> {
  const { rows, problems } = await collectRoutes({ stateDir: str(args.flags, 'state-dir'), pluginsFile: str(args.flags, 'plugins') })
  for (const p of problems) process.stderr.write(`revka: ${p}\n`)
  process.stdout.write(args.flags.json ? JSON.stringify(rows, null, 2) + '\n' : formatRoutes(rows))
  return 0
}
