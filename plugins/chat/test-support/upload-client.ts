/**
 * Test support (not a test): multipart uploads over a real socket. Large bodies are generated and
 * written chunk by chunk with backpressure, so the client never holds the file in memory and a
 * memory measurement sees the server's behaviour, not the test's.
 */
import { existsSync, readdirSync } from 'node:fs'
import { request, type IncomingMessage } from 'node:http'
import { join } from 'node:path'
import type { TestKernel } from '@revka/plugin-testing'

export const BOUNDARY = '----revkaTestBoundary7MA4YWxkTrZu0gW'

/** the chat plugin's attachments root in a test kernel's state folder */
export const attachmentsDir = (k: TestKernel): string => join(k.stateDir, 'plugins', 'chat', 'attachments')

/** every file under `dir`, relative, temp files included (an attack test compares it before and after) */
export function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(join(dir, d.name), `${prefix}${d.name}/`) : [`${prefix}${d.name}`],
  )
}

export interface UploadOptions {
  /** the raw request path (default `/api/sessions/<sid>/attachments`) */
  path?: string
  sid?: string
  /** file bytes, or `size` to generate that many bytes of a repeating pattern */
  content?: Buffer | string
  size?: number
  filename?: string
  mime?: string
  field?: string
  token?: string | null
  headers?: Record<string, string>
  /** send without Content-Length (chunked) */
  chunked?: boolean
  /** override the whole body (for malformed multipart) */
  rawBody?: Buffer | string
}

export interface UploadResult {
  status: number
  body: any
}

/** An HTTP answer read whole: the status, the headers and the body (parsed when it is JSON). */
export function readAnswer(res: IncomingMessage): Promise<UploadResult & { headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (c) => chunks.push(c))
    res.on('error', reject)
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let body: any = text
      try {
        body = JSON.parse(text)
      } catch {}
      resolve({ status: res.statusCode!, headers: res.headers, body })
    })
  })
}

const CHUNK = Buffer.alloc(64 * 1024, 'revka-attachment-test-pattern ')

function* fileBytes(o: UploadOptions): Generator<Buffer> {
  if (o.content !== undefined) {
    yield Buffer.from(o.content)
    return
  }
  let left = o.size ?? 0
  while (left > 0) {
    const n = Math.min(left, CHUNK.length)
    yield n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n)
    left -= n
  }
}

export function multipartHead(o: UploadOptions): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${o.field ?? 'file'}"; filename="${o.filename ?? 'file.txt'}"\r\n` +
      `Content-Type: ${o.mime ?? 'text/plain'}\r\n\r\n`,
  )
}
export const MULTIPART_TAIL = Buffer.from(`\r\n--${BOUNDARY}--\r\n`)

export function upload(k: TestKernel, o: UploadOptions): Promise<UploadResult> {
  const u = new URL(k.url!)
  const head = multipartHead(o)
  const fileSize = o.content !== undefined ? Buffer.byteLength(o.content) : (o.size ?? 0)
  const length = o.rawBody !== undefined ? Buffer.byteLength(o.rawBody) : head.length + fileSize + MULTIPART_TAIL.length
  const headers: Record<string, string | number> = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...o.headers }
  const token = o.token === undefined ? k.token : o.token
  if (token) headers.authorization = `Bearer ${token}`
  if (!o.chunked) headers['content-length'] = length
  return new Promise((resolve, reject) => {
    let answered = false
    const req = request({ host: u.hostname, port: u.port, method: 'POST', path: o.path ?? `/api/sessions/${o.sid ?? 'up-1'}/attachments`, headers }, (res) => {
      answered = true
      readAnswer(res).then(({ status, body }) => resolve({ status, body }), reject)
    })
    // the server may answer (413) and close while we are still writing: that answer is the result
    req.on('error', (e) => {
      if (!answered) reject(e)
    })
    const write = async () => {
      const parts = o.rawBody !== undefined ? [Buffer.from(o.rawBody)] : [head, ...fileBytes(o), MULTIPART_TAIL]
      for (const p of parts) {
        if (answered || req.destroyed) return
        if (!req.write(p)) {
          await new Promise<void>((r) => {
            const go = () => {
              req.off('drain', go)
              req.off('close', go)
              r()
            }
            req.on('drain', go)
            req.on('close', go)
          })
        }
      }
      req.end()
    }
    write().catch(() => {})
  })
}
