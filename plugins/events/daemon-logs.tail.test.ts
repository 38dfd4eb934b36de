import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'
import { openSse, waitFor, type SseClient } from './test-sse-client.js'

const FILE = 'logs/daemon-test.log'
const fast = { logPollMs: 30, logInitialBytes: 200, keepAliveMs: 60_000 }

async function nextLine(s: SseClient): Promise<string> {
  const f = await s.nextEvent((j) => j.type === 'log')
  assert.ok(f.id, 'log events carry ids')
  assert.match(f.json.timestamp, /^\d{4}-\d\d-\d\dT/)
  return f.json.line
}

test("initial burst is the file's tail without its partial first line; appended lines follow", async () => {
  const k = await startTestKernel({ plugins: ['events'], options: { events: { ...fast, file: FILE } } })
  try {
    const path = join(k.stateDir, FILE)
    mkdirSync(join(k.stateDir, 'logs'), { recursive: true })
    // the 200-byte window starts inside the long first line, which must not be sent half
    writeFileSync(path, `${'A'.repeat(300)}\nline-1\n\n\r\nline-2\n`)
    const s = await openSse(`${k.url}/api/daemon/logs`, { authorization: `Bearer ${k.token}` })
    try {
      assert.equal(await nextLine(s), 'line-1')
      assert.equal(await nextLine(s), 'line-2')

      appendFileSync(path, 'line-3\nline-4\n')
      assert.equal(await nextLine(s), 'line-3')
      assert.equal(await nextLine(s), 'line-4')

      // a line written in two pieces arrives once, whole
      appendFileSync(path, 'line-5-par')
      await new Promise((r) => setTimeout(r, 100))
      appendFileSync(path, 'tial\n')
      assert.equal(await nextLine(s), 'line-5-partial')

      const lines = s.frames.filter((f) => f.json?.type === 'log')
      assert.deepEqual(
        lines.map((f) => f.json.line),
        ['line-1', 'line-2', 'line-3', 'line-4', 'line-5-partial'],
      )
      // ids increase by one per event on this stream
      assert.deepEqual(
        lines.map((f) => Number(f.id)),
        [1, 2, 3, 4, 5],
      )
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test('after truncation or rotation the tail restarts at the beginning of the file', async () => {
  const k = await startTestKernel({ plugins: ['events'], options: { events: { ...fast, file: FILE } } })
  try {
    const path = join(k.stateDir, FILE)
    mkdirSync(join(k.stateDir, 'logs'), { recursive: true })
    writeFileSync(path, 'first\n')
    const s = await openSse(`${k.url}/api/daemon/logs`, { authorization: `Bearer ${k.token}` })
    try {
      assert.equal(await nextLine(s), 'first')
      appendFileSync(path, 'a fairly long line so that the file grows well past what comes next\n')
      assert.match(await nextLine(s), /^a fairly long line/)

      // truncated in place (same inode, smaller)
      writeFileSync(path, 'after-truncate\n')
      assert.equal(await nextLine(s), 'after-truncate')

      // rotated: a new file at the path, larger than the old offset, so only the inode tells
      renameSync(path, path + '.1')
      await new Promise((r) => setTimeout(r, 80))
      writeFileSync(path, `after-rotate ${'r'.repeat(100)}\nsecond-after-rotate\n`)
      assert.match(await nextLine(s), /^after-rotate r+$/)
      assert.equal(await nextLine(s), 'second-after-rotate')
      appendFileSync(path, 'appended-after-rotate\n')
      assert.equal(await nextLine(s), 'appended-after-rotate')
      // the rotated file's later writes are not the stream's business any more
      appendFileSync(path + '.1', 'old-file\n')
      appendFileSync(path, 'new-file\n')
      assert.equal(await nextLine(s), 'new-file')
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test('a missing file is reported once as log_unavailable, then streamed once it appears', async () => {
  const k = await startTestKernel({ plugins: ['events'], options: { events: { ...fast, file: FILE } } })
  try {
    const path = join(k.stateDir, FILE)
    const s = await openSse(`${k.url}/api/daemon/logs?token=${k.token}`)
    try {
      const f = await s.nextEvent()
      assert.equal(f.json.type, 'log_unavailable')
      assert.equal(f.json.line, `daemon log not readable at ${path}`)
      assert.ok(f.id)
      await new Promise((r) => setTimeout(r, 150))
      mkdirSync(join(k.stateDir, 'logs'), { recursive: true })
      writeFileSync(path, 'hello\nworld\n')
      assert.equal(await nextLine(s), 'hello')
      assert.equal(await nextLine(s), 'world')
      assert.equal(s.frames.filter((x) => x.json?.type === 'log_unavailable').length, 1)
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test("by default the stream tails the gateway's own log file", async () => {
  const k = await startTestKernel({ plugins: ['events'], options: { events: { logPollMs: 30 } } })
  try {
    const s = await openSse(`${k.url}/api/daemon/logs`, { authorization: `Bearer ${k.token}` })
    try {
      k.kernel.log.warn({ probe: 'daemon-log-marker' }, 'tail probe')
      const f = await s.nextEvent((j) => j.type === 'log' && j.line.includes('daemon-log-marker'))
      assert.equal(JSON.parse(f.json.line).msg, 'tail probe')
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test('a `file` option outside the state dir fails the plugin instead of exposing other files', async () => {
  for (const file of ['../outside.log', '/etc/passwd', 'logs/../../x.log']) {
    const k = await startTestKernel({ plugins: ['events'], options: { events: { file } }, allowFailed: ['events'] })
    try {
      const p = k.plugin('events')!
      assert.equal(p.status, 'failed', file)
      assert.match(String(p.diagnostic ?? p.lastError), /option "file"/)
      const r = await k.inject({ url: '/api/daemon/logs', headers: { authorization: `Bearer ${k.token}` } })
      assert.notEqual(r.statusCode, 200)
    } finally {
      await k.stop()
    }
  }
})

test('polling stops when the client goes', async () => {
  const k = await startTestKernel({ plugins: ['events'], options: { events: { ...fast, file: FILE } } })
  try {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const idle = timers()
    const s = await openSse(`${k.url}/api/daemon/logs`, { authorization: `Bearer ${k.token}` })
    assert.equal((await s.nextEvent()).json.type, 'log_unavailable')
    // the poll timer (the keep-alive interval is unref'd and not listed)
    assert.ok(timers() >= idle + 1, `expected the tail's timers, ${timers()} vs ${idle}`)
    s.close()
    await waitFor(() => timers() <= idle, 3000, "the tail's timers to go")
    // and they stay gone: sample across several poll intervals (a live tail has no timer while
    // it reads, so a single sample could miss it)
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 15))
      assert.ok(timers() <= idle, 'the tail is still polling after the client left')
    }
  } finally {
    await k.stop()
  }
})
