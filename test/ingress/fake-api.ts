/**
 * A stand-in for a provider's HTTP API (WhatsApp Cloud API, Linq, WATI, Nextcloud Talk…) on
 * 127.0.0.1:0: it records every request so a test can assert the reply a webhook plugin posted.
 * `mode` simulates the outages crash-safety tests need: `hang` accepts and never answers (the
 * delivery stays in flight), `down` answers 503.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  /** path and query, as sent */
  url: string
  headers: IncomingHttpHeaders
  body: string
  json<T = any>(): T
}

export type FakeApiMode = 'ok' | 'hang' | 'down'

export interface FakeApi {
  readonly url: string
  readonly requests: RecordedRequest[]
  mode: FakeApiMode
  /** resolves once at least `n` requests arrived; rejects after `timeoutMs` */
  waitFor(n?: number, timeoutMs?: number): Promise<RecordedRequest[]>
  close(): Promise<void>
}

export async function startFakeApi(mode: FakeApiMode = 'ok', port = 0): Promise<FakeApi> {
  const requests: RecordedRequest[] = []
  const waiters = new Set<() => void>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json: () => JSON.parse(body) })
      for (const w of waiters) w()
      if (api.mode === 'hang') return
      if (api.mode === 'down') {
        res.writeHead(503, { 'content-type': 'application/json' })
        return void res.end('{"error":"unavailable"}')
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true,"messages":[{"id":"fake-1"}]}')
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const api: FakeApi = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    mode,
    waitFor(n = 1, timeoutMs = 10_000) {
      if (requests.length >= n) return Promise.resolve(requests.slice())
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < n) return
          cleanup()
          resolve(requests.slice())
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`fake provider API: expected ${n} request(s) within ${timeoutMs} ms, got ${requests.length}`))
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
      })
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return api
}
