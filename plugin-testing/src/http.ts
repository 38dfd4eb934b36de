/**
 * A JSON request over a real socket whose path goes out exactly as written: `fetch` normalises
 * `..` and `//` away, and attack tests must send them.
 */
import { request } from 'node:http'

export interface RawJsonResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: any
}

export function rawJson(
  base: string,
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<RawJsonResponse> {
  const u = new URL(base)
  const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
  const headers: Record<string, string> = {
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    ...opts.headers,
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown = text
        try {
          body = text ? JSON.parse(text) : null
        } catch {}
        resolve({ status: res.statusCode!, headers: res.headers, body })
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
}
