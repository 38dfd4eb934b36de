/**
 * `revka doctor`: the doctor's offline checks (kernel/ops/doctor.ts — the same code behind
 * `GET /api/doctor`) without starting anything: config.toml as the start would take it, the state
 * dir (modes, writable, free disk, old layout), the environment, CLI tools on PATH. Colours only
 * on a terminal and without NO_COLOR. Exit 0 when nothing is an error (warnings allowed), 1 otherwise.
 */
import { resolveStatePaths } from '../config/state-dir.js'
import { CliToolProbe } from '../ops/cli-tools.js'
import { offlineChecks, report } from '../ops/doctor.js'
import { str, type ParsedArgs } from './args.js'
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
  const { results, summary } = report(findings.list)
  const colour = useColour(process.stdout, process.env)
  const paint = (s: DoctorSeverity, text: string) => (colour ? `${COLOURS[s]}${text}${RESET}` : text)
  const lines = results.map((f) => `${paint(f.severity, f.severity.padEnd(5))} ${f.category.padEnd(11)} ${f.message}`)
  lines.push('', `${summary.ok} ok, ${paint(summary.warnings ? 'warn' : 'ok', `${summary.warnings} warnings`)}, ${paint(summary.errors ? 'error' : 'ok', `${summary.errors} errors`)}`)
  process.stdout.write(lines.join('\n') + '\n')
  return summary.errors ? 1 : 0
}
