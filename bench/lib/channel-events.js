// The event load P5 and X1 share: POST /api/channel-events at a fixed rate (8 in flight at most),
// then ask each SSE client process (bench/lib/sse-clients.js) for its report.
import http from 'node:http'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Emit `rate` events a second for `seconds` to `url`; resolves with how many were sent. */
export async function emitAtRate(url, rate, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 })
  const t0 = Date.now()
  const inflight = new Set()
  let total = 0
  for (let seq = 0; seq < rate * seconds; seq++) {
    const due = t0 + (seq * 1000) / rate
    if (due > Date.now()) await sleep(due - Date.now())
    // a server that falls this far behind has failed the figure; stop instead of hanging
    if (Date.now() - t0 > seconds * 3000) break
    if (inflight.size >= 8) await Promise.race(inflight)
    const body = JSON.stringify({ type: 'bench', seq, sent: Date.now() })
    const p = new Promise((res) => {
      const req = http.request(
        url + '/api/channel-events',
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (r) => {
          r.resume()
          r.on('end', res)
        },
      )
      req.on('error', res)
      req.end(body)
    })
    inflight.add(p)
    p.then(() => inflight.delete(p))
    total++
  }
  await Promise.all(inflight)
  agent.destroy()
  return total
}

/** Each SSE client process's report (one JSON line, asked for on its stdin). */
export function collectReports(procs) {
  return Promise.all(
    procs.map(
      (p) =>
        new Promise((res) => {
          let buf = ''
          p.stdout.on('data', (d) => {
            buf += d
            if (buf.endsWith('\n')) res(JSON.parse(buf))
          })
          p.stdin.write('report\n')
        }),
    ),
  )
}
