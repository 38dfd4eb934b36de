/**
 * `revka plugins enable|disable ID` with a gateway running: the change is asked of the gateway
 * (POST /admin/plugins/ID/enable|disable, over the admin socket when configured, else loopback
 * TCP, with the service token from the state dir), which applies it live and rewrites its own
 * plugins file. Only when no gateway answers does the command edit the plugins file itself.
 */
import { existsSync, readFileSync } from 'node:fs'
import { resolveStatePaths } from '../config/state-dir.js'
import { str, type ParsedArgs } from './args.js'
import { call, gatewayBase } from './remote-cmd.js'

/**
 * The gateway drains the plugin's requests (10 s by default) and runs its stop callbacks (each
 * bounded by its start timeout) before it answers: wait long enough for both.
 */
const SWITCH_TIMEOUT_MS = 60_000

/** network errors that mean "no gateway there", as opposed to one that did not answer in time */
const NOT_RUNNING = new Set(['ECONNREFUSED', 'ENOENT', 'EADDRNOTAVAIL'])

function notRunning(e: unknown): boolean {
  let c: any = e
  for (let i = 0; c && i < 4; i++, c = c.cause) if (NOT_RUNNING.has(c.code)) return true
  return false
}

/**
 * Ask the running gateway. Resolves with the exit code, or undefined when no gateway runs for this
 * state dir (none ever started there, or nothing listens): the caller then edits the file.
 */
export async function switchLive(args: ParsedArgs, id: string, verb: 'enable' | 'disable'): Promise<number | undefined> {
  const out = (s: string) => process.stdout.write(s + '\n')
  const err = (s: string) => process.stderr.write(`revka: ${s}\n`)
  const paths = resolveStatePaths({ stateDir: str(args.flags, 'state-dir') })
  // a gateway writes the token on its first start: without one, none has run with this state dir
  if (!existsSync(paths.serviceTokenFile)) return undefined
  const token = readFileSync(paths.serviceTokenFile, 'utf8').trim()
  let r: { status: number; json: any }
  try {
    const target = gatewayBase(args, { admin: true })
    r = await call(target, 'POST', `/admin/plugins/${encodeURIComponent(id)}/${verb}`, undefined, {
      headers: { 'x-revka-service-token': token },
      timeoutMs: SWITCH_TIMEOUT_MS,
    })
  } catch (e) {
    if (notRunning(e)) return undefined
    err((e as Error).message)
    return 1
  }
  if (r.status !== 200) {
    err(`the running gateway refused to ${verb} ${id}: ${r.json?.error ?? `HTTP ${r.status}`}${r.json?.code ? ` (${r.json.code})` : ''}`)
    if (r.status === 401) err(`is the gateway running with this state dir (${paths.stateDir})? Pass --state-dir`)
    return 1
  }
  out(r.json.message)
  out(r.json.plugins_file ? `saved in ${r.json.plugins_file}` : 'the gateway runs without a plugins file: the change lasts until it stops')
  return 0
}
