// A child process holding N SSE subscribers of /api/events. Prints "ready" once all are
// answered (connected or refused), then on "report" (stdin) prints per-run latency samples,
// per-client counts and the statuses of refused clients.
import http from 'node:http'

const [url, token, n] = [process.argv[2], process.argv[3], Number(process.argv[4])]
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity })
const counts = new Array(n).fill(0)
const latencies = []
const refused = []
let answered = 0

for (let i = 0; i < n; i++) {
  const req = http.get(`${url}/api/events?token=${token}&types=channel_event`, { agent }, (res) => {
    if (++answered === n) process.stdout.write('ready\n')
    if (res.statusCode !== 200) {
      // over a cap (429 too_many_connections, 503): no stream, its events count as lost
      refused.push(res.statusCode)
      res.resume()
      return
    }
    // latin1: every byte one char, no UTF-8 decoding; the markers searched for are ASCII
    res.setEncoding('latin1')
    let buf = ''
    // frames are found with indexOf over the buffered text, not split into strings: the client's
    // parsing must cost far less than the server's sending, or the figure measures the client
    res.on('data', (d) => {
      buf = buf ? buf + d : d
      let start = 0
      let at
      while ((at = buf.indexOf('\n\n', start)) >= 0) {
        const data = buf.indexOf('data: ', start)
        if (data >= 0 && data < at) {
          const s = buf.indexOf('"sent":', data)
          if (s >= 0 && s < at) {
            let sent = 0
            let k = s + 7
            for (let c = buf.charCodeAt(k); c >= 48 && c <= 57; c = buf.charCodeAt(++k)) sent = sent * 10 + (c - 48)
            if (k > s + 7) {
              counts[i]++
              if (i % 10 === 0) latencies.push(Date.now() - sent)
            }
          }
        }
        start = at + 2
      }
      buf = start < buf.length ? buf.slice(start) : ''
    })
  })
  req.on('error', (e) => process.stderr.write(`client ${i}: ${e.message}\n`))
}

process.stdin.on('data', () => {
  // exit only once the report is flushed: stdout is a pipe, and exiting at once cut a report of
  // more than the pipe's 64 KiB short (the harness then waited for its newline forever)
  process.stdout.write(JSON.stringify({ counts, latencies, refused }) + '\n', () => process.exit(0))
})
