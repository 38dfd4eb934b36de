// A child process holding N SSE subscribers of /api/events. Prints "ready" once all are
// connected, then on "report" (stdin) prints per-run latency samples and per-client counts.
import http from 'node:http'

const [url, token, n] = [process.argv[2], process.argv[3], Number(process.argv[4])]
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity })
const counts = new Array(n).fill(0)
const latencies = []
let connected = 0

for (let i = 0; i < n; i++) {
  const req = http.get(`${url}/api/events?token=${token}&types=channel_event`, { agent }, (res) => {
    res.setEncoding('utf8')
    let buf = ''
    connected++
    if (connected === n) process.stdout.write('ready\n')
    res.on('data', (d) => {
      buf += d
      let at
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, at)
        buf = buf.slice(at + 2)
        const line = frame.split('\n').find((l) => l.startsWith('data: '))
        if (!line) continue
        const sent = /"sent":(\d+)/.exec(line)
        if (sent) {
          counts[i]++
          if (i % 10 === 0) latencies.push(Date.now() - Number(sent[1]))
        }
      }
    })
  })
  req.on('error', (e) => process.stderr.write(`client ${i}: ${e.message}\n`))
}

process.stdin.on('data', () => {
  process.stdout.write(JSON.stringify({ counts, latencies }) + '\n')
  process.exit(0)
})
