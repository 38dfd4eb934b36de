/**
 * Shared pieces of the auth attack suite: where the probe fixture lives, which built-in plugins
 * exist (read from disk at run time, so a plugin added tomorrow is attacked tomorrow), and small
 * real-socket clients for WebSocket and SSE (Node 20 has no WebSocket; `ws` is the client).
 */
import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage, type ClientRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'

const here = dirname(fileURLToPath(import.meta.url))
export const ROOT = resolve(here, '..', '..')
export const PROBE_DIR = join(ROOT, 'test', 'fixtures', 'auth-probe')
export const BUILTIN_DIR = join(ROOT, 'plugins')

/** A documentation address (RFC 5737): never loopback. */
export const REMOTE = '203.0.113.7'

/** Ids of every built-in plugin with a manifest under plugins/. */
export function builtinIds(): string[] {
  return readdirSync(BUILTIN_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(BUILTIN_DIR, d.name, 'revka.plugin.json')))
    .map((d) => JSON.parse(readFileSync(join(BUILTIN_DIR, d.name, 'revka.plugin.json'), 'utf8')).id as string)
    .sort()
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

/** A well-formed token no gateway ever minted. */
export function forgedToken(): string {
  return 'rk_' + 'f00d'.repeat(16)
}

/** A state dir the test owns (survives `stop()`, for restart and at-rest tests). */
export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'revka-auth-'))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

export function wsUrl(httpUrl: string, path: string): string {
  return httpUrl.replace(/^http/, 'ws') + path
}

export type WsOutcome =
  { kind: 'open'; ws: WebSocket; hello: any; protocol: string } | { kind: 'refused'; status: number; body: string; headers: IncomingMessage['headers'] }

/**
 * Open a real WebSocket. Resolves with the first frame once open, or with the HTTP status and body
 * the gateway answered instead of upgrading.
 */
export function wsConnect(url: string, opts: { protocols?: string[]; headers?: Record<string, string>; origin?: string } = {}): Promise<WsOutcome> {
  return new Promise((resolveP, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers, origin: opts.origin, handshakeTimeout: 5000 })
    ws.once('unexpected-response', (_req: ClientRequest, res: IncomingMessage) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () => resolveP({ kind: 'refused', status: res.statusCode ?? 0, body, headers: res.headers }))
      res.on('error', reject)
    })
    ws.once('message', (data) => resolveP({ kind: 'open', ws, hello: JSON.parse(data.toString()), protocol: ws.protocol }))
    ws.once('error', reject)
  })
}

/** Resolves with the close code and reason of an open socket. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve({ code: -1, reason: 'already closed' })
  return new Promise((res) => ws.once('close', (code, reason) => res({ code, reason: reason.toString() })))
}

export interface SseOutcome {
  status: number
  headers: IncomingMessage['headers']
  /** everything received up to and including the first blank-line-terminated event */
  first: string
  /** the whole body, resolved when the server ends the stream */
  ended: Promise<string>
  close(): void
}

/** Open a real SSE stream over HTTP and wait for its first event (or a refusal body). */
export function sseOpen(url: string, headers: Record<string, string> = {}): Promise<SseOutcome> {
  return new Promise((resolveP, reject) => {
    const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.setEncoding('utf8')
      let body = ''
      let resolved = false
      let endResolve!: (s: string) => void
      const ended = new Promise<string>((r) => {
        endResolve = r
      })
      const finish = () => {
        endResolve(body)
        if (!resolved) {
          resolved = true
          resolveP(outcome())
        }
      }
      const outcome = (): SseOutcome => ({ status: res.statusCode ?? 0, headers: res.headers, first: body, ended, close: () => req.destroy() })
      res.on('data', (c: string) => {
        body += c
        if (!resolved && body.includes('\n\n')) {
          resolved = true
          resolveP(outcome())
        }
      })
      res.on('end', finish)
      res.on('close', finish)
      res.on('error', () => finish())
    })
    req.on('error', reject)
    req.end()
  })
}

/** Race a promise against a deadline, so a bug shows up as a named failure instead of a hang. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, rej) => {
      t = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
    }),
  ])
}

/** Poll until `cond` holds (state updated from socket events lands a tick later). */
export async function until(cond: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
