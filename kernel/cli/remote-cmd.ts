/**
 * Commands that talk to a running gateway over loopback: `gateway get-paircode [--new]`, `stop`,
 * and `pair --code C`. The address comes from config.toml (host, port, path_prefix) unless
 * `--url` or `--host/--port` say otherwise.
 */
import { existsSync } from 'node:fs'
import { resolveStatePaths } from '../config/state-dir.js'
import { loadConfigFile, settingsFrom } from '../config/gateway-config.js'
import { port, str, UsageError, type ParsedArgs } from './args.js'

export function gatewayBase(args: ParsedArgs): string {
  const url = str(args.flags, 'url')
  if (url) return url.replace(/\/+$/, '')
  const paths = resolveStatePaths({ stateDir: str(args.flags, 'state-dir') })
  const settings = settingsFrom(existsSync(paths.configFile) ? loadConfigFile(paths.configFile).doc : {})
  let host = str(args.flags, 'host') ?? settings.host
  if (host === '0.0.0.0' || host === '::' || host === '[::]') host = '127.0.0.1'
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`
  const p = port(args.flags) ?? settings.port
  return `http://${host}:${p}${settings.pathPrefix}`
}

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; json: any }> {
  let res: Response
  try {
    res = await fetch(url, {
      method,
      headers: { 'user-agent': 'revka-cli', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(5000),
    })
  } catch (e) {
    throw new Error(`cannot reach the gateway at ${url}: ${(e as Error).message}`)
  }
  const text = await res.text()
  let json: any = null
  try { json = JSON.parse(text) } catch { json = { error: text } }
  return { status: res.status, json }
}

export async function getPaircode(args: ParsedArgs): Promise<number> {
  const base = gatewayBase(args)
  const r = args.flags.new ? await call('POST', `${base}/admin/paircode/new`) : await call('GET', `${base}/admin/paircode`)
  if (r.status !== 200) { process.stderr.write(`revka: ${r.json?.error ?? r.json?.message ?? `HTTP ${r.status}`}\n`); return 1 }
  if (args.flags.json) process.stdout.write(JSON.stringify(r.json) + '\n')
  else process.stdout.write(r.json.pairing_code ? `${r.json.pairing_code}\n` : `${r.json.message}\n`)
  return 0
}

export async function stopGateway(args: ParsedArgs): Promise<number> {
  const base = gatewayBase(args)
  const r = await call('POST', `${base}/admin/shutdown`)
  if (r.status !== 200) { process.stderr.write(`revka: ${r.json?.error ?? `HTTP ${r.status}`}\n`); return 1 }
  process.stdout.write(`${r.json.message ?? 'shutdown initiated'}\n`)
  return 0
}

export async function pair(args: ParsedArgs): Promise<number> {
  const code = str(args.flags, 'code')
  if (!code) throw new UsageError('revka pair needs --code <6-digit code>')
  const base = gatewayBase(args)
  const r = await call('POST', `${base}/api/pair`, {
    code,
    device_name: str(args.flags, 'name') ?? 'revka-cli',
    device_type: str(args.flags, 'device-type') ?? 'cli',
    hardware: str(args.flags, 'hardware'),
  })
  if (r.status !== 200) { process.stderr.write(`revka: pairing failed: ${r.json?.error ?? `HTTP ${r.status}`}\n`); return 1 }
  if (args.flags.json) {
    process.stdout.write(JSON.stringify({ token: r.json.token, authorization: `Bearer ${r.json.token}`, persisted: r.json.persisted, device_id: r.json.device_id, message: r.json.message }) + '\n')
  } else {
    process.stdout.write(`paired. This token is shown once — store it now:\n${r.json.token}\nuse it as: Authorization: Bearer <token>\n`)
  }
  return 0
}
