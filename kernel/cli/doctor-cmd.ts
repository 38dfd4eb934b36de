/**
 * `revka doctor`: the doctor's offline checks (kernel/ops/doctor.ts — the same code behind
 * `GET /api/doctor`) without starting anything: config.toml as the start would take it, the state
 * dir (modes, writable, free disk, old layout), the environment, CLI tools on PATH. Then, when a
 * remote model provider is configured, the provider check: the agent runtime started in-process
 * (runtime-session.ts) asks each provider the turns use for its model list and looks for the model,
 * with the turn errors' reason codes and hints — the same check `revka onboard` runs.
 * `--offline` skips it. Colours only on a terminal and without NO_COLOR. Exit 0 when nothing is an
 * error (warnings allowed), 1 otherwise.
 */
import { resolveStatePaths } from '../config/state-dir.js'
import { CliToolProbe } from '../ops/cli-tools.js'
import { existsSync, readFileSync } from 'node:fs'
import { parse } from 'smol-toml'
import { offlineChecks, report, type Findings } from '../ops/doctor.js'
import type { StatePaths } from '../config/state-dir.js'
import { str, type ParsedArgs } from './args.js'
import { openRuntime, profilesEnabled } from './runtime-session.js'
import type { DoctorSeverity } from '@revka/plugin-sdk'

const COLOURS: Record<DoctorSeverity, string> = { ok: '\x1b[32m', warn: '\x1b[33m', error: '\x1b[31m' }
const RESET = '\x1b[0m'

/** https://no-color.org: any non-empty NO_COLOR turns colours off; so does a pipe or a file */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb'
}

export async function doctor(args: ParsedArgs): Promise<number> {
  const paths = resolveStatePaths({ stateDir: str(args.flags, 'state-dir') })
  const findings = await offlineChecks(paths, process.env, () => new CliToolProbe(process.env).list())
  if (!args.flags.offline && !findings.list.some((f) => f.severity === 'error' && f.category === 'config'))
    await providerChecks(findings, paths, str(args.flags, 'plugins'))
  const { results, summary } = report(findings.list)
  const colour = useColour(process.stdout, process.env)
  const paint = (s: DoctorSeverity, text: string) => (colour ? `${COLOURS[s]}${text}${RESET}` : text)
  const lines = results.map((f) => `${paint(f.severity, f.severity.padEnd(5))} ${f.category.padEnd(11)} ${f.message}`)
  lines.push(
    '',
    `${summary.ok} ok, ${paint(summary.warnings ? 'warn' : 'ok', `${summary.warnings} warnings`)}, ${paint(summary.errors ? 'error' : 'ok', `${summary.errors} errors`)}`,
  )
  process.stdout.write(lines.join('\n') + '\n')
  return summary.errors ? 1 : 0
}

/** only a config that names a remote provider is worth a network call */
function remoteProviderConfigured(paths: StatePaths): boolean {
  if (!existsSync(paths.configFile)) return false
  const doc = parse(readFileSync(paths.configFile, 'utf8')) as Record<string, any>
  const names = [doc.default_provider, ...(Array.isArray(doc.fallback_providers) ? doc.fallback_providers : [])].filter(
    (n) => typeof n === 'string' && n !== 'offline',
  )
  return names.length > 0
}

async function providerChecks(f: Findings, paths: StatePaths, pluginsFile: string | undefined): Promise<void> {
  if (!remoteProviderConfigured(paths)) return
  let session
  try {
    session = await openRuntime({ stateDir: paths.stateDir, pluginsFile, withProfiles: profilesEnabled(pluginsFile) })
  } catch (e) {
    f.add('error', 'provider', (e as Error).message)
    return
  }
  try {
    for (const c of (await session.runtime.checkProviders?.()) ?? []) f.add(c.ok ? 'ok' : 'error', 'provider', `${c.provider} (${c.model}): ${c.message}`)
  } finally {
    await session.stop()
  }
}
