// P5: SSE fan-out (1,000 subscribers, 200 events/s for 10 s): p99 delivery and losses.
// P6: 5,000 idle authenticated /ws/chat sockets: server RSS growth per socket.
// P7: a 25 MiB attachment upload and a 256 MiB streamed download: server RSS growth.
import { spawn } from 'node:child_process'
import { createReadStream, mkdirSync, openSync, ftruncateSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import http from 'node:http'
import WebSocket from 'ws'
import { collectReports, emitAtRate } from './lib/channel-events.js'
import { ADMIN_TOKEN, ROOT, rssMb, startGateway } from './lib/proc.js'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * Counts from the environment, for a smoke run that only checks the setup (never compare its
 * figures): `BENCH_P5_SUBSCRIBERS=10 BENCH_P5_SECONDS=1 BENCH_P6_SOCKETS=20 node bench/run.js P5 P6`.
 */
const envCount = (name, dflt) => Number(process.env[name]) || dflt

/**
 * The gateway's plugins file for P5 and P6. They open every subscriber and socket with one token
 * and measure fan-out and per-socket memory, not quotas: the per-credential caps (16 SSE streams,
 * 32 /ws/chat sockets by default; issue 10 item 10) would refuse all but the first few, so they are
 * raised to what the figure opens. The caps themselves are attacked in the test suite.
 */
function oneTokenPlugins(connections) {
  return {
    plugins: {
      events: { options: { maxStreamsPerCredential: connections, maxStreams: Math.max(4096, connections) } },
      chat: { options: { max_sockets_per_credential: connections } },
    },
  }
}

/** /ws/chat sockets P6 opens before it measures */
const P6_WARMUP = 50

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN
}

export async function p5(
  subscribers = envCount('BENCH_P5_SUBSCRIBERS', 1000),
  rate = envCount('BENCH_P5_RATE', 200),
  seconds = envCount('BENCH_P5_SECONDS', 10),
) {
  const gw = await startGateway({ plugins: oneTokenPlugins(subscribers) })
  try {
    const procs = [0, 1].map(() =>
      spawn(process.execPath, [join(ROOT, 'bench/lib/sse-clients.js'), gw.url, ADMIN_TOKEN, String(subscribers / 2)], { stdio: ['pipe', 'pipe', 'inherit'] }),
    )
    await Promise.all(procs.map((p) => new Promise((res) => p.stdout.once('data', res))))
    const planned = rate * seconds
    const total = await emitAtRate(gw.url, rate, seconds)
    await sleep(1000)
    const reports = await collectReports(procs)
    const counts = reports.flatMap((r) => r.counts)
    const lat = reports.flatMap((r) => r.latencies)
    const lost = counts.reduce((s, c) => s + (total - c), 0)
    // a subscriber the gateway refused (429/503) is not a slow one: say so instead of counting it as losses only
    const refused = reports.reduce((s, r) => s + r.refused.length, 0)
    const statuses = [...new Set(reports.flatMap((r) => r.refused))].join('/')
    const p99 = pct(lat, 99)
    const shortfall = planned - total
    return [
      {
        id: 'P5',
        name: `SSE fan-out ${subscribers} subscribers × ${rate} ev/s × ${seconds} s: p99 delivery`,
        value: p99,
        unit: 'ms',
        target: '< 50, 0 lost',
        pass: p99 < 50 && lost === 0 && shortfall === 0 && refused === 0,
        extra: `${refused ? `${refused} of ${subscribers} subscribers refused (HTTP ${statuses}), ` : ''}lost ${lost} of ${total * subscribers} delivered frames, p50 ${pct(lat, 50)} ms${shortfall ? `, only ${total} of ${planned} events could be emitted on schedule` : ''}`,
      },
    ]
  } finally {
    await gw.stop()
  }
}

export async function p6(sockets = envCount('BENCH_P6_SOCKETS', 5000)) {
  const gw = await startGateway({ plugins: oneTokenPlugins(P6_WARMUP + sockets) })
  const open = []
  try {
    const wsUrl = gw.url.replace('http', 'ws') + '/ws/chat'
    const connect = () =>
      new Promise((res, rej) => {
        const ws = new WebSocket(wsUrl, ['revka.v1'], { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
        ws.once('message', () => res(ws)) // session_start
        ws.once('error', rej)
      })
    for (let i = 0; i < P6_WARMUP; i++) open.push(await connect()) // warm-up sockets
    await sleep(500)
    const before = rssMb(gw.pid)
    for (let i = 0; i < sockets; i += 100) open.push(...(await Promise.all(Array.from({ length: Math.min(100, sockets - i) }, connect))))
    await sleep(6000) // past the 5 s first-frame wait: idle, listen-only
    const after = rssMb(gw.pid)
    const perSocketKb = ((after - before) * 1024) / sockets
    return [
      {
        id: 'P6',
        name: `${sockets} idle authenticated /ws/chat sockets: RSS growth per socket`,
        value: perSocketKb,
        unit: 'KB',
        target: '< 20',
        pass: perSocketKb < 20,
        extra: `RSS ${before.toFixed(1)} → ${after.toFixed(1)} MB`,
      },
    ]
  } finally {
    for (const ws of open) ws.terminate()
    await gw.stop()
  }
}

export async function p7() {
  const gw = await startGateway()
  try {
    const out = []
    // upload: 25 MiB multipart, streamed from disk
    const file = join(gw.state, 'upload.bin')
    const fd = openSync(file, 'w')
    ftruncateSync(fd, 25 * 1024 * 1024)
    closeSync(fd)
    const boundary = 'revkabench' + Date.now()
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    )
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
    // uploads go only to an existing session of the caller: open it the way the dashboard does
    await new Promise((res, rej) => {
      const ws = new WebSocket(gw.url.replace('http', 'ws') + '/ws/chat?session_id=bench&name=bench', ['revka.v1'], {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
      ws.once('message', () => {
        ws.close()
        res()
      }) // session_start
      ws.once('error', rej)
    })
    const before = rssMb(gw.pid)
    const status = await new Promise((res, rej) => {
      const req = http.request(
        gw.url + '/api/sessions/bench/attachments',
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${ADMIN_TOKEN}`,
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': head.length + 25 * 1024 * 1024 + tail.length,
          },
        },
        (r) => {
          r.resume()
          r.on('end', () => res(r.statusCode))
        },
      )
      req.on('error', rej)
      req.write(head)
      const rs = createReadStream(file)
      rs.on('end', () => req.end(tail))
      rs.pipe(req, { end: false })
    })
    const growth = rssMb(gw.pid) - before
    out.push({
      id: 'P7',
      name: '25 MiB attachment upload: server RSS growth',
      value: growth,
      unit: 'MiB',
      target: '< 16',
      pass: status === 201 && growth < 16,
      extra: `status ${status}`,
    })
    // download: a 256 MiB workspace file through a signed URL
    mkdirSync(join(gw.state, 'workspace'), { recursive: true })
    const big = join(gw.state, 'workspace', 'big.bin')
    const fd2 = openSync(big, 'w')
    ftruncateSync(fd2, 256 * 1024 * 1024)
    closeSync(fd2)
    const signed = await (
      await fetch(gw.url + '/api/workspace/sign', {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ path: 'big.bin' }),
      })
    )
      .json()
      .catch(() => ({}))
    const before2 = rssMb(gw.pid)
    let peak = before2
    const timer = setInterval(() => {
      peak = Math.max(peak, rssMb(gw.pid))
    }, 50)
    const got = await new Promise((res) => {
      if (!signed.url) return res({ status: 0, bytes: 0 })
      http.get(new URL(signed.url, gw.url), (r) => {
        let bytes = 0
        r.on('data', (d) => {
          bytes += d.length
        })
        r.on('end', () => res({ status: r.statusCode, bytes }))
      })
    })
    clearInterval(timer)
    const growth2 = peak - before2
    out.push({
      id: 'P7',
      name: '256 MiB streamed download: server peak RSS growth',
      value: growth2,
      unit: 'MiB',
      target: '< 16',
      pass: got.status === 200 && got.bytes === 256 * 1024 * 1024 && growth2 < 16,
      extra: `status ${got.status}, ${got.bytes} bytes`,
    })
    return out
  } finally {
    await gw.stop()
  }
}
