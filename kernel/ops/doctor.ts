/**
 * The doctor's checks (contract DOMAIN.md §17, adapted to this gateway). `offlineChecks` needs only
 * the state dir, so `revka doctor` runs it without a gateway; the `kernel-ops` service adds what only
 * a running gateway knows (plugins, components, the embedded store). Both report through the same
 * `DoctorFinding` list, so the CLI and `GET /api/doctor` say the same thing.
 */
import { accessSync, constants, existsSync, lstatSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CliTool, DoctorFinding, DoctorReport, DoctorSeverity } from '@revka/plugin-sdk'
import { parseToml, type TomlDoc } from '../config/gateway-config.js'
import { legacyMoves } from '../config/migrate-state.js'
import { stateDirModeProblems, type StatePaths } from '../config/state-dir.js'
import { assertStartable } from '../config/validate-gateway.js'

/** below this much free space on the state dir's filesystem: a warning (the reference's 100 MB) */
export const MIN_FREE_BYTES = 100 * 1024 * 1024

export class Findings {
  readonly list: DoctorFinding[] = []
  add(severity: DoctorSeverity, category: string, message: string): void {
    this.list.push({ severity, category, message })
  }
}

export function report(list: DoctorFinding[]): DoctorReport {
  const count = (s: DoctorSeverity) => list.filter((f) => f.severity === s).length
  return { results: list, summary: { ok: count('ok'), warnings: count('warn'), errors: count('error') } }
}

function configChecks(f: Findings, paths: StatePaths, env: NodeJS.ProcessEnv): void {
  if (!existsSync(paths.configFile)) {
    f.add('warn', 'config', `${paths.configFile} does not exist yet; the defaults apply and the first start writes it`)
    return
  }
  let doc: TomlDoc
  try {
    doc = parseToml(readFileSync(paths.configFile, 'utf8'))
  } catch (e) {
    f.add('error', 'config', `${paths.configFile}: ${(e as Error).message}`)
    return
  }
  try {
    const s = assertStartable(doc, paths.configFile, { env })
    f.add('ok', 'config', `config.toml is valid; the gateway binds ${s.host}:${s.port}${s.tls ? ' with TLS' : ''}, pairing ${s.requirePairing ? 'on' : 'off'}`)
  } catch (e) {
    f.add('error', 'config', (e as Error).message)
  }
  const providers = (doc.providers ?? {}) as Record<string, unknown>
  const provider = doc.default_provider
  if (provider === undefined) f.add('warn', 'config', 'default_provider is not set: the agent answers with the embedded offline responder')
  else if (typeof provider !== 'string' || !(provider in providers || provider === 'offline'))
    f.add('error', 'config', `default_provider = ${JSON.stringify(provider)} has no [providers.${String(provider)}] table`)
  else f.add('ok', 'config', `default_provider is ${provider}`)
  const t = doc.default_temperature
  if (t !== undefined && (typeof t !== 'number' || t < 0 || t > 2)) f.add('error', 'config', `default_temperature = ${JSON.stringify(t)} is outside 0..2`)
}

function stateChecks(f: Findings, paths: StatePaths): void {
  if (!existsSync(paths.stateDir)) {
    f.add('warn', 'state', `${paths.stateDir} does not exist yet (the first start creates it 0700)`)
    return
  }
  const problems = stateDirModeProblems(paths, { owned: true })
  for (const p of problems) f.add('error', 'state', p.message)
  const privateFiles = [paths.serviceTokenFile, paths.configFile, ...['', '-wal', '-shm'].map((s) => join(paths.kernelDir, `devices.db${s}`))]
  for (const file of privateFiles) {
    let mode: number
    try {
      mode = lstatSync(file).mode & 0o777
    } catch {
      continue
    }
    if (mode & 0o077) f.add('error', 'state', `REVKA_ERR_STATE_FILE_MODE: ${file} has mode ${mode.toString(8).padStart(4, '0')}; run chmod 600 ${file}`)
  }
  if (!problems.length) f.add('ok', 'state', `${paths.stateDir} is private (0700)`)
  for (const m of legacyMoves(paths)) {
    if (existsSync(m.from))
      f.add(
        'error',
        'state',
        `REVKA_ERR_STATE_MIGRATION: ${m.from} is internal state inside the served workspace; start the gateway to move it to ${m.to}, or remove it if ${m.to} already exists`,
      )
  }
  const probe = join(paths.stateDir, `.doctor-probe-${process.pid}`)
  try {
    accessSync(paths.stateDir, constants.W_OK)
    writeFileSync(probe, 'probe', { mode: 0o600, flag: 'wx' })
    f.add('ok', 'state', 'the state dir is writable')
  } catch (e) {
    f.add('error', 'state', `the state dir is not writable: ${(e as Error).message}`)
  } finally {
    rmSync(probe, { force: true })
  }
  try {
    const fs = statfsSync(paths.stateDir)
    const free = fs.bavail * fs.bsize
    const mb = Math.floor(free / (1024 * 1024))
    if (free < MIN_FREE_BYTES) f.add('warn', 'state', `only ${mb} MB free on the state dir's filesystem (below ${MIN_FREE_BYTES / (1024 * 1024)} MB)`)
    else f.add('ok', 'state', `${mb} MB free on the state dir's filesystem`)
  } catch (e) {
    f.add('warn', 'state', `free disk space unknown: ${(e as Error).message}`)
  }
}

function environmentChecks(f: Findings, env: NodeJS.ProcessEnv): void {
  const major = Number(process.versions.node.split('.')[0])
  f.add(major >= 20 ? 'ok' : 'error', 'environment', `Node ${process.versions.node}${major >= 20 ? '' : ' (Revka needs ≥ 20.19)'}`)
  f.add(env.HOME ? 'ok' : 'warn', 'environment', env.HOME ? `HOME is ${env.HOME}` : 'HOME is not set (terminal sessions need it)')
  f.add(env.SHELL ? 'ok' : 'warn', 'environment', env.SHELL ? `SHELL is ${env.SHELL}` : 'SHELL is not set (the terminal falls back to /bin/sh)')
}

export function cliToolFindings(f: Findings, tools: CliTool[]): void {
  if (!tools.length) f.add('warn', 'cli-tools', 'no known CLI tool found on PATH')
  for (const t of tools) f.add('ok', 'cli-tools', `${t.name}: ${t.version ?? 'version unknown'} (${t.path})`)
}

/** The checks that need no running gateway, in the contract's order. */
export async function offlineChecks(paths: StatePaths, env: NodeJS.ProcessEnv, tools: () => Promise<CliTool[]>): Promise<Findings> {
  const f = new Findings()
  configChecks(f, paths, env)
  stateChecks(f, paths)
  environmentChecks(f, env)
  cliToolFindings(f, await tools())
  return f
}
