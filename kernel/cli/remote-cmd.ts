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

/** Where the gateway listens; with `[gateway.tls]`, HTTPS trusting the gateway's own certificate. */
export interface GatewayTarget {
  base: string
  /** the configured certificate (PEM): a certificate this CLI accepts from the gateway by fingerprint */
  cert?: Buffer
  /** where `cert` came from, to name it when the gateway presents another */
  certPath?: string
  /**
   * `--url https://…`: besides the configured certificate, a certificate the system's CAs vouch
   * for (chain and host name) is accepted too — the URL may name a gateway behind a real certificate
   */
  systemTrust?: boolean
  /** the admin unix socket: plain HTTP over it, `base` is then just the path prefix */
  socketPath?: string
}

/** `admin`: the command uses loopback routes, which the admin socket serves when configured */
export function gatewayBase(args: ParsedArgs, opts: { admin?: boolean } = {}): GatewayTarget {
  const url = str(args.flags, 'url')
  const paths = resolveStatePaths({ stateDir: str(args.flags, 'state-dir') })
  if (url) return urlTarget(url.replace(/\/+$/, ''), paths.configFile)
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
    throw new Error(
      'the gateway requires TLS client certificates ([gateway.tls.client_auth]); this command cannot present one — use the admin routes from a client that has one',
    )
  }
  const certPath = configuredCertPath(settings.tls.certPath, paths.configFile)
  return { base: `https://${host}:${p}${settings.pathPrefix}`, cert: readFileSync(certPath), certPath }
}

function configuredCertPath(certPath: string, configFile: string): string {
  return isAbsolute(certPath) ? certPath : resolve(dirname(configFile), certPath)
}

/**
 * `--url`: an https URL trusts the system's CAs and, when the state dir's config has
 * `[gateway.tls]`, that certificate too (a self-signed gateway's own certificate). A config that
 * cannot be read only loses the second trust, never the command.
 */
function urlTarget(base: string, configFile: string): GatewayTarget {
  if (!base.toLowerCase().startsWith('https:')) return { base }
  const target: GatewayTarget = { base, systemTrust: true }
  try {
    const settings = existsSync(configFile) ? settingsFrom(loadConfigFile(configFile).doc) : undefined
    if (settings?.tls) {
      target.certPath = configuredCertPath(settings.tls.certPath, configFile)
      target.cert = readFileSync(target.certPath)
    }
  } catch {
    delete target.cert
  }
  return target
}

/** extra request headers, and how long to wait for the answer (default 5 s) */
export interface CallOptions {
  headers?: Record<string, string>
  timeoutMs?: number
}

/** A request to the running gateway; a failure to reach it throws with the network error as `cause`. */
export async function call(target: GatewayTarget, method: string, path: string, body?: unknown, o: CallOptions = {}): Promise<{ status: number; json: any }> {
  const url = target.base + path
  let res: { status: number; text: string }
  try {
    res = target.socketPath
      ? await socketRequest(target.socketPath, url, method, body, o)
      : url.startsWith('https:')
        ? await tlsRequest(url, target, method, body, o)
        : await plainRequest(url, method, body, o)
  } catch (e) {
    throw new Error(`cannot reach the gateway at ${target.socketPath ? `unix:${target.socketPath}:${url}` : url}: ${(e as Error).message}`, { cause: e })
  }
  let json: any
  try {
    json = JSON.parse(res.text)
  } catch {
    json = { error: res.text }
  }
  return { status: res.status, json }
}

async function plainRequest(url: string, method: string, body: unknown, o: CallOptions): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method,
    headers: { 'user-agent': 'revka-cli', ...(body ? { 'content-type': 'application/json' } : {}), ...o.headers },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
  })
  return { status: res.status, text: await res.text() }
}

/** HTTP over the admin unix socket (fetch cannot dial one) */
function socketRequest(socketPath: string, path: string, method: string, body: unknown, o: CallOptions): Promise<{ status: number; text: string }> {
  const payload = body ? JSON.stringify(body) : undefined
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      {
        socketPath,
        path,
        method,
        timeout: o.timeoutMs ?? 5000,
        headers: {
          host: 'localhost',
          'user-agent': 'revka-cli',
          'content-length': payload ? Buffer.byteLength(payload) : 0,
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...o.headers,
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d) => {
          text += d
        })
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text }))
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end(payload)
  })
}

/** `CN=… (SHA-256 AB:CD…)` of a certificate, for messages */
function describeCert(c: { subject?: Record<string, unknown> | null; fingerprint256?: string } | undefined): string {
  const cn = c?.subject && typeof c.subject.CN === 'string' ? `CN=${c.subject.CN}` : 'a certificate without a CN'
  return `${cn} (SHA-256 ${c?.fingerprint256 ?? 'unknown'})`
}

/**
 * HTTPS to the gateway. The configured certificate (`gateway.tls.cert_path`) is accepted by
 * fingerprint: the address is often loopback while the certificate names the public host, or it
 * is self-signed. With `systemTrust` (`--url`), a certificate the system's CAs vouch for, host
 * name included, is accepted too. Anything else is refused with which certificate was presented
 * and why it was not trusted.
 */
function tlsRequest(url: string, target: GatewayTarget, method: string, body: unknown, o: CallOptions): Promise<{ status: number; text: string }> {
  const expected = target.cert ? new X509Certificate(target.cert).fingerprint256 : undefined
  const payload = body ? JSON.stringify(body) : undefined
  return new Promise((resolvePromise, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        // verified below, once the handshake is done, so that a refusal can say what was presented
        rejectUnauthorized: false,
        headers: {
          'user-agent': 'revka-cli',
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...o.headers,
        },
        timeout: o.timeoutMs ?? 5000,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d) => {
          text += d
        })
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text }))
      },
    )
    req.on('socket', (socket) =>
      socket.once('secureConnect', () => {
        const tlsSocket = socket as import('node:tls').TLSSocket
        const presented = tlsSocket.getPeerCertificate()
        if (expected && presented?.fingerprint256 === expected) return
        if (target.systemTrust && tlsSocket.authorized) return
        const why: string[] = []
        if (target.systemTrust) why.push(`the system's CAs do not trust it (${String(tlsSocket.authorizationError ?? 'unverified')})`)
        if (expected) why.push(`it is not the configured gateway.tls.cert_path ${target.certPath} (SHA-256 ${expected})`)
        else if (target.systemTrust) why.push('and no [gateway.tls] certificate is configured in the state dir to trust instead (pass --state-dir)')
        req.destroy(new Error(`refused the certificate the gateway presented, ${describeCert(presented)}: ${why.join('; ')}`))
      }),
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end(payload)
  })
}

export async function getPaircode(args: ParsedArgs): Promise<number> {
  const base = gatewayBase(args, { admin: true })
  const r = args.flags.new ? await call(base, 'POST', '/admin/paircode/new') : await call(base, 'GET', '/admin/paircode')
  if (r.status !== 200) {
    process.stderr.write(`revka: ${r.json?.error ?? r.json?.message ?? `HTTP ${r.status}`}\n`)
    return 1
  }
  if (args.flags.json) process.stdout.write(JSON.stringify(r.json) + '\n')
  else process.stdout.write(r.json.pairing_code ? `${r.json.pairing_code}\n` : `${r.json.message}\n`)
  return 0
}

export async function stopGateway(args: ParsedArgs): Promise<number> {
  const base = gatewayBase(args, { admin: true })
  const r = await call(base, 'POST', '/admin/shutdown')
  if (r.status !== 200) {
    process.stderr.write(`revka: ${r.json?.error ?? `HTTP ${r.status}`}\n`)
    return 1
  }
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
  if (r.status !== 200) {
    process.stderr.write(`revka: pairing failed: ${r.json?.error ?? `HTTP ${r.status}`}\n`)
    return 1
  }
  if (args.flags.json) {
    process.stdout.write(
      JSON.stringify({
        token: r.json.token,
        authorization: `Bearer ${r.json.token}`,
        persisted: r.json.persisted,
        device_id: r.json.device_id,
        message: r.json.message,
      }) + '\n',
    )
  } else {
    process.stdout.write(`paired. This token is shown once — store it now:\n${r.json.token}\nuse it as: Authorization: Bearer <token>\n`)
  }
  return 0
}
