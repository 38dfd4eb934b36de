/** An /api/events client for the tests: a real socket, frames parsed by eventsource-parser. */
import http from 'node:http'
import { createParser } from 'eventsource-parser'

export interface EventWatch {
  events: any[]
  /** the first event (seen or to come) that satisfies `pred` */
  waitFor(pred: (e: any) => boolean, timeoutMs?: number): Promise<any>
  close(): void
}

export function watchEvents(base: string, token: string | null, types?: string): Promise<EventWatch> {
  return new Promise((resolve, reject) => {
    const url = `${base}/api/events${types ? `?types=${encodeURIComponent(types)}` : ''}`
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`/api/events answered ${res.statusCode}`))
      const events: any[] = []
      const waiters = new Set<() => void>()
      const parser = createParser({
        onEvent: (m) => {
          try {
            events.push(JSON.parse(m.data))
          } catch {}
          for (const w of waiters) w()
        },
      })
      res.setEncoding('utf8')
      res.on('data', (c: string) => parser.feed(c))
      res.on('error', () => {})
      resolve({
        events,
        waitFor(pred, timeoutMs = 5000) {
          return new Promise((ok, fail) => {
            const check = () => {
              const hit = events.find(pred)
              if (hit) {
                waiters.delete(check)
                clearTimeout(t)
                ok(hit)
              }
            }
            const t = setTimeout(() => {
              waiters.delete(check)
              fail(new Error(`no matching event in ${timeoutMs} ms; saw ${events.map((e) => e.type).join(', ')}`))
            }, timeoutMs)
            waiters.add(check)
            check()
          })
        },
        close: () => req.destroy(),
      })
    })
    req.on('error', reject)
  })
}
