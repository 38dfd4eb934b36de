/**
 * Talking to the in-process MCP server from the gateway's routes: one request with its own agent
 * (no pooled sockets outlive a stop), a cap on the whole exchange, and upstream failures turned into
 * the contract's `{error, code}` — 502 `mcp_upstream_error` when the server is bound but does not
 * answer, 503 `mcp_unavailable` (from the caller) when it never bound.
 */
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { httpError, type RawReplyAccess } from '@revka/plugin-sdk'

export interface ForwardInit {
  method: string
  /** path on the upstream, e.g. `/mcp` */
  path: string
  headers?: Record<string, string | undefined>
  body?: Buffer
  /** cap on the whole exchange (head and body), ms; null = none (streams) */
  timeoutMs: number | null
  /** aborts the upstream request (the client went away) */
  signal?: AbortSignal
}

export function upstreamError(detail: string) {
  return httpError(502, 'mcp_upstream_error', `mcp upstream error: ${detail}`)
}

/** Resolves with the upstream response head; rejects with a 502 httpError. */
export function forward(base: string, init: ForwardInit): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(init.headers ?? {})) if (v !== undefined && v !== '') headers[k] = v
    if (init.body) headers['content-length'] = String(init.body.length)
    const url = new URL(init.path, base)
    const req = request(url, { method: init.method, headers, agent: false })
    let timer: NodeJS.Timeout | undefined
    const fail = (detail: string) => {
      req.destroy()
      reject(upstreamError(detail))
    }
    if (init.timeoutMs !== null) {
      timer = setTimeout(() => fail(`no complete answer within ${init.timeoutMs} ms`), init.timeoutMs)
    }
    const onAbort = () => req.destroy(new Error('client went away'))
    init.signal?.addEventListener('abort', onAbort, { once: true })
    const cleanup = () => {
      if (timer) clearTimeout(timer)
      init.signal?.removeEventListener('abort', onAbort)
    }
    req.once('response', (res) => {
      res.once('close', cleanup)
      resolve(res)
    })
    req.once('error', (e) => {
      cleanup()
      reject(upstreamError((e as NodeJS.ErrnoException).code ?? e.message))
    })
    req.end(init.body)
  })
}

/** Read a small upstream answer fully (JSON routes). */
export async function readAll(res: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const c of res) {
      size += (c as Buffer).length
      if (size > limit) {
        res.destroy()
        throw upstreamError(`answer exceeds ${limit} bytes`)
      }
      chunks.push(c as Buffer)
    }
  } catch (e) {
    if ((e as { code?: string }).code === 'mcp_upstream_error') throw e
    throw upstreamError(`answer cut short (${(e as Error).message})`)
  }
  return Buffer.concat(chunks, size)
}

export async function readJson(res: IncomingMessage): Promise<unknown> {
  const buf = await readAll(res)
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch {
    throw upstreamError(`answer is not JSON (HTTP ${res.statusCode})`)
  }
}

/** response headers worth passing through to the client (no hop-by-hop ones) */
const PASS = ['content-type', 'cache-control', 'mcp-session-id', 'mcp-protocol-version', 'www-authenticate', 'allow', 'retry-after', 'x-accel-buffering']

/** Stream an upstream answer to the client as it arrives (JSON or SSE). */
export function pipeTo(res: IncomingMessage, reply: RawReplyAccess): void {
  reply.hijack()
  const raw = reply.raw
  const headers: IncomingHttpHeaders = {}
  for (const h of PASS) if (res.headers[h] !== undefined) headers[h] = res.headers[h]
  raw.writeHead(res.statusCode ?? 502, headers as Record<string, string>)
  // SSE frames must reach the client as soon as the upstream writes them
  raw.flushHeaders()
  res.pipe(raw)
  raw.once('close', () => res.destroy())
  res.once('error', () => raw.destroy())
  res.once('aborted', () => raw.destroy())
}
