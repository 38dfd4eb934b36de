/**
 * Graceful shutdown: `stop()` stops accepting at once, lets the request already in flight finish
 * with its real answer, and only then stops plugins, in the reverse of their start order.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTestKernel } from '@revka/plugin-testing'
import { cleanupTemp, fixture, tempDir } from './helpers/kernel.js'

after(cleanupTemp)

function fetchSlow(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    }).on('error', reject)
  })
}

/** resolves with the error code of a fresh TCP connection attempt, or 'connected' */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve('connected')
    })
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
  })
}

test('stop drains the in-flight request, refuses new connections and stops plugins in reverse', async () => {
  const log = join(tempDir(), 'shutdown.log')
  writeFileSync(log, '')
  const ids = ['fx-order-a', 'fx-order-b', 'fx-order-c', 'fx-slow']
  const k = await startTestKernel({
    builtins: false,
    paths: ids.map(fixture),
    options: Object.fromEntries(ids.map((id) => [id, { log }])),
    listen: true,
  })
  let stopping: Promise<void> | undefined
  try {
    const port = Number(new URL(k.url!).port)
    assert.equal(await tryConnect(port), 'connected')

    const inFlight = fetchSlow(`${k.url}/fx/slow`)
    await sleep(150) // the handler is now inside its 500 ms wait
    const t0 = Date.now()
    stopping = k.stop()
    await sleep(50)
    assert.equal(await tryConnect(port), 'ECONNREFUSED', 'a new connection was accepted during shutdown')

    const res = await inFlight
    assert.equal(res.status, 200)
    assert.deepEqual(JSON.parse(res.body), { slow: 'done' })
    await stopping
    assert.ok(Date.now() - t0 < 2000, `stop took ${Date.now() - t0} ms`)

    const lines = readFileSync(log, 'utf8').trim().split('\n')
    const handled = lines.indexOf('fx-slow:handled')
    assert.ok(handled >= 0, `the slow request never completed: ${lines}`)
    const stops = lines.filter((l) => l.endsWith(':stop'))
    assert.equal(stops.length, ids.length, `not every plugin stopped: ${lines}`)
    assert.ok(lines.indexOf(stops[0]) > handled, `a plugin stopped before the in-flight request finished: ${lines}`)
    const chainStarts = lines.filter((l) => /^fx-order-.:start/.test(l)).map((l) => l.split(':')[0])
    const chainStops = stops.filter((l) => l.startsWith('fx-order-')).map((l) => l.split(':')[0])
    assert.deepEqual(chainStarts, ['fx-order-c', 'fx-order-b', 'fx-order-a'])
    assert.deepEqual(chainStops, [...chainStarts].reverse())
  } finally {
    await (stopping ?? k.stop())
  }
})
