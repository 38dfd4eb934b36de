/**
 * Commands that talk to a running gateway over loopback: `gateway get-paircode [--new]`, `stop`,
 * and `pair --code C`. The address comes from config.toml (host, port, path_prefix) unless
 * `--url` or `--host/--port` say otherwise. With `[gateway] admin_socket`, the admin commands
 * (get-paircode, stop) go through that unix socket instead: behind a reverse proxy it is the one
 * place where the gateway can tell a local operator from a forwarded client.
 */
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { dirname, isAbsolute, resolve } from 'node:path'
import { resolveStatePaths } from '../config/state-dir.js'
import { loadConfigFile, settingsFrom } from '../config/gateway-config.js'
import { adminSocketPath } from '../http/admin-socket.js'
import { port, str, UsageError, type ParsedArgs } from './args.js'

/** Where the gateway listens; with `[gateway.tls]`, HTTPS trusting exactly the gateway's own certificate. */
export interface GatewayTarget {
  base: string
  /** the configured certificate (PEM): the one certificate this CLI accepts from the gateway */
  cert?: Buffer
  /** the admin unix socket: plain HTTP over it, `base` is then just the path prefix */
  socketPath?: string
}

/** `admin`: the command uses loopback routes, which the admin socket serves when configured */
export function gatewayBase(args: ParsedArgs, opts: { admin?: boolean } = {}): GatewayTarget {
  const url = str(args.flags, 'url')
  if (url) return { base: url.replace(/\/+$/, '') }
  const paths = resolveStatePaths({ stateDir: str(args.flags, 'state-dir') })
  const settings = settingsFrom(existsSync(paths.configFile) ? loadConfigFile(paths.configFile).doc : {})
  // an explicit --host/--port means TCP
  if (opts.admin && settings.adminSocket && !str(args.flags, 'host') && port(args.flags) === undefined) {
    return { base: settings.pathPrefix, socketPath: adminSocketPath(settings.adminSocket, paths.configFile) }
  }
  let host = str(args.flags, 'host') ?? settings.host
  if (host === '0.0.0.0' || host === '::' || host === '[::]') host = '127.0.0.1'
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`
  const p = port(args.flags) ?? settings.port
  if (!settings.tls) return { base: `http://${host}:${p}${settings.pathPrefix}` }
  if (settings.tls.clientAuth?.requireClientCert) {
    throw new Error('the gateway requires TLS client certificates ([gateway.tls.client_auth]); this command cannot present one — use the admin routes from a client that has one')
  }
  const certPath = isAbsolute(settings.tls.certPath) ? settings.tls.certPath : resolve(dirname(paths.configFile), settings.tls.certPath)
  return { base: `https://${host}:${p}${settings.pathPrefix}`, cert: readFileSync(certPath) }
}

async function call(target: GatewayTarget, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const url = target.base + path
  let res: { status: number; text: string }
  try {
    res = target.socketPath ? await socketRequest(target.socketPath, url, method, body)
      : target.cert ? await pinnedRequest(url, target.cert, method, body) : await plainRequest(url, method, body)
  } catch (e) {
    throw new Error(`cannot reach the gateway at ${target.socketPath ? `unix:${target.socketPath}:${url}` : url}: ${(e as Error).message}`)
  }
  let json: any = null
  try { json = JSON.parse(res.text) } catch { json = { error: res.text } }
  return { status: res.status, json }
}

async function plainRequest(url: string, method: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method,
    headers: { 'user-agent': 'revka-cli', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(5000),
  })
  return { status: res.status, text: await res.text() }
}

/** HTTP over the admin unix socket (fetch cannot dial one) */
function socketRequest(socketPath: string, path: string, method: string, body?: unknown): Promise<{ status: number; text: string }> {
  const payload = body ? JSON.stringify(body) : undefined
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest({
      socketPath, path, method, timeout: 5000,
      headers: { host: 'localhost', 'user-agent': 'revka-cli', 'content-length': payload ? Buffer.byteLength(payload) : 0, ...(payload ? { 'content-type': 'application/json' } : {}) },
    }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => { text += d })
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text }))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end(payload)
  })
}

/**
 * HTTPS to the local gateway. The address is loopback while the certificate names the public
 * host (and its chain may not be in the system store), so the usual checks cannot work: the
 * gateway must present exactly the certificate in `gateway.tls.cert_path` instead, compared by
 * fingerprint as soon as the handshake is done.
 */
function pinnedRequest(url: string, pem: Buffer, method: string, body?: unknown): Promise<{ status: number; text: string }> {
  const expected = new X509Certificate(pem).fingerprint256
  const payload = body ? JSON.stringify(body) : undefined
  return new Promise((resolvePromise, reject) => {
    const req = httpsRequest(url, {
      method,
      rejectUnauthorized: false,
      headers: { 'user-agent': 'revka-cli', ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
      timeout: 5000,
    }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => { text += d })
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text }))
    })
    req.on('socket', (socket) => socket.once('secureConnect', () => {
      const presented = (socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256
      if (presented !== expected) req.destroy(new Error('the gateway presented a certificate other than gateway.tls.cert_path'))
    }))
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end(payload)
  })
}

export async function getPaircode(args: ParsedArgs): Promise<number> {
  const base = gatewayBase(args, { admin: true })
  const r = args.flags.new ? await call(base, 'POST', '/admin/paircode/new') : await call(base, 'GET', '/admin/paircode')
  if (r.status !== 200) { process.stderr.write(`revka: ${r.json?.error ?? r.json?.message ?? `HTTP ${r.status}`}\n`); return 1 }
  if (args.flags.json) process.stdout.write(JSON.stringify(r.json) + '\n')
  else process.stdout.write(r.json.pairing_code ? `${r.json.pairing_code}\n` : `${r.json.message}\n`)
  return 0
}

export async function stopGateway(args: ParsedArgs): Promise<number> {
  const base = gatewayBase(args, { admin: true })
  const r = await call(base, 'POST', '/admin/shutdown')
  if (r.status !== 200) { process.stderr.write(`revka: ${r.json?.error ?? `HTTP ${r.status}`}\n`); return 1 }
  process.stdout.write(`${r.json.message ?? 'shutdown initiated'}\n`)
  return 0
}

export async function pair(args: ParsedArgs): Promise<number> {
  const code = str(args.flags, 'code')
  if (!code) throw new UsageError('revka pair needs --code <6-digit code>')
  const base = gatewayBase(args)
  const r = await call(base, 'POST', '/api/pair', {
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
