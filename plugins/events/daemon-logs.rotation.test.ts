/**
 * `/api/daemon/logs` across rotations that happen between two polls. The tail used to know the
 * file only by the path's inode and size: the lines written to the old file after the last poll,
 * and every line of a file rotated in and out between two polls, were never sent (and a deleted
 * file's inode, reused by the new gateway.log, made it continue at a stale offset). Like `tail -F`
 * it now keeps the old file open, reads it to its end, then the files rotated after it, then the
 * new one.
 *
 * Each burst of writes and renames below is one synchronous block: the kernel runs in this
 * process, so the tail cannot poll in the middle of it — the rotations are between two polls
 * whatever the timing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'
import { openSse, type SseClient } from './test-sse-client.js'

const FILE = 'logs/rotating.log'
const fast = { logPollMs: 20, keepAliveMs: 60_000 }

/** the kernel's scheme (kernel/log/rotating-file.ts): drop .keep, shift .k → .k+1, path → .1 */
function rotate(path: string, keep: number): void {
  rmSync(`${path}.${keep}`, { force: true })
  for (let i = keep - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`)
  renameSync(path, `${path}.1`)
  writeFileSync(path, '', { mode: 0o600 })
}

/** the `log` lines received up to (not including) the one that contains `end` */
async function linesUntil(s: SseClient, end: string): Promise<string[]> {
  await s.nextEvent((j) => j.type === 'log' && String(j.line).includes(end), 5000)
  const all = s.frames.filter((f) => f.json?.type === 'log').map((f) => String(f.json.line))
  return all.slice(
    0,
    all.findIndex((l) => l.includes(end)),
  )
}

test("two rotations between two polls: the old file's last lines, the file rotated in between and the new file all arrive, once, in order", async () => {
  const k = await startTestKernel({ plugins: ['events'], options: { events: { ...fast, file: FILE } } })
  try {
    const path = join(k.stateDir, FILE)
    mkdirSync(join(k.stateDir, 'logs'), { recursive: true })
    writeFileSync(path, 'start\n')
    const s = await openSse(`${k.url}/api/daemon/logs`, { authorization: `Bearer ${k.token}` })
    try {
      assert.equal((await s.nextEvent((j) => j.type === 'log')).json.line, 'start')
      // one synchronous block: written after the last poll, then two rotations before the next
      appendFileSync(path, 'a-1\na-2\n')
      rotate(path, 5)
      appendFileSync(path, 'b-1\nb-2\n')
      rotate(path, 5)
      appendFileSync(path, 'c-1\n')
      // later, in the new file
      await new Promise((r) => setTimeout(r, 60))
      appendFileSync(path, 'c-2\nend\n')
      const got = await linesUntil(s, 'end')
      assert.deepEqual(got, ['start', 'a-1', 'a-2', 'b-1', 'b-2', 'c-1', 'c-2'])
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})

test("the gateway's own log rotated twice between two polls with log_keep = 1 (the tailed file deleted): every line once, in order", async () => {
  const k = await startTestKernel({
    plugins: ['events'],
    config: '[gateway]\nlog_max_bytes = 4096\nlog_keep = 1\n',
    options: { events: { ...fast, logInitialBytes: 1024 } },
  })
  const log = join(k.stateDir, 'logs', 'gateway.log')
  try {
    const s = await openSse(`${k.url}/api/daemon/logs`, { authorization: `Bearer ${k.token}` })
    try {
      k.kernel.log.warn('rotation-test-start')
      k.flushLog()
      await s.nextEvent((j) => j.type === 'log' && String(j.line).includes('rotation-test-start'))
      // one synchronous block: lines until gateway.log was replaced twice. With log_keep = 1 the
      // second rotation deletes the file the tail has open (and may give its inode to the new one)
      // (a rotation is seen as the file getting smaller: the inode may be the same)
      let rotations = 0
      let size = statSync(log).size
      let n = 0
      while (rotations < 2) {
        k.kernel.log.warn({ seq: n++ }, 'r'.repeat(100))
        k.flushLog()
        const now = statSync(log).size
        if (now < size) rotations++
        size = now
        assert.ok(n < 500, 'no two rotations after 500 lines')
      }
      k.kernel.log.warn({ seq: n++ }, 'in the newest file')
      k.flushLog()
      await new Promise((r) => setTimeout(r, 60))
      k.kernel.log.warn('rotation-test-end')
      k.flushLog()
      const seqs = (await linesUntil(s, 'rotation-test-end'))
        .map((l) => {
          try {
            return JSON.parse(l).seq
          } catch {
            return `unparsable: ${l.slice(0, 60)}`
          }
        })
        .filter((x) => x !== undefined)
      assert.deepEqual(
        seqs,
        Array.from({ length: n }, (_, i) => i),
        `lines received: ${seqs.length} of ${n}`,
      )
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})
