/**
 * The gateway's log file is rotated by size (issue 10, item 11): `logs/gateway.log` grew without
 * bound, and anyone able to provoke a log line could fill the disk. Past `log_max_bytes` it moves
 * to `gateway.log.1` (… up to `log_keep` files) and a fresh 0600 file starts; the events plugin's
 * `/api/daemon/logs` tail follows the new file.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { startTestKernel } from '@revka/plugin-testing'
import { createLogger, flushLog } from '../../kernel/log/logger.js'
import { openSse } from '../../plugins/events/test-sse-client.js'
import { cleanupTemp, tempDir } from './helpers/kernel.js'

after(cleanupTemp)

const sizeOf = (p: string) => statSync(p).size

test('writing 100 times the size limit leaves log_keep + 1 files, none over the limit, the newest lines in gateway.log', () => {
  const dir = tempDir('revka-rot-')
  const log = createLogger({ level: 'info', logsDir: dir, stdout: false, rotation: { maxBytes: 4096, keep: 3 } })
  const filler = 'x'.repeat(80)
  for (let i = 0; i < 5000; i++) log.info({ i }, filler)
  log.info('the last line')
  flushLog(log)
  const files = readdirSync(dir).sort()
  assert.deepEqual(files, ['gateway.log', 'gateway.log.1', 'gateway.log.2', 'gateway.log.3'])
  const sizes = files.map((f) => sizeOf(join(dir, f)))
  for (const [i, s] of sizes.entries()) assert.ok(s <= 4096, `${files[i]} is ${s} bytes`)
  const total = sizes.reduce((a, b) => a + b, 0)
  assert.ok(total <= 4 * 4096, `${total} bytes in all`)
  assert.match(readFileSync(join(dir, 'gateway.log'), 'utf8'), /the last line/)
  // the rotated files are the most recent ones, in order: .1 ends where gateway.log begins
  const firstNow = JSON.parse(readFileSync(join(dir, 'gateway.log'), 'utf8').split('\n')[0]).i
  const lastOfOne = JSON.parse(readFileSync(join(dir, 'gateway.log.1'), 'utf8').trim().split('\n').pop()!).i
  assert.equal(lastOfOne + 1, firstNow)
  for (const f of files) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, `${f} mode`)
})

test('an existing log already past the limit is rotated at its next write, not appended to forever', () => {
  const dir = tempDir('revka-rot-')
  const first = createLogger({ level: 'info', logsDir: dir, stdout: false, rotation: { maxBytes: 1 << 20, keep: 2 } })
  for (let i = 0; i < 100; i++) first.info('y'.repeat(100))
  flushLog(first)
  const big = sizeOf(join(dir, 'gateway.log'))
  assert.ok(big > 4096)
  const second = createLogger({ level: 'info', logsDir: dir, stdout: false, rotation: { maxBytes: 4096, keep: 2 } })
  second.info('after restart')
  flushLog(second)
  assert.equal(sizeOf(join(dir, 'gateway.log.1')), big)
  assert.ok(sizeOf(join(dir, 'gateway.log')) < 4096)
})

test("[gateway] log_max_bytes / log_keep rotate the running gateway's log, and /api/daemon/logs follows the new file", async () => {
  const k = await startTestKernel({
    plugins: ['events'],
    config: '[gateway]\nlog_max_bytes = 8192\nlog_keep = 2\n',
    // an initial burst, so the first marker is seen whether it lands before or after the tail starts
    options: { events: { logPollMs: 20, logInitialBytes: 2048, keepAliveMs: 60_000 } },
  })
  const logs = join(k.stateDir, 'logs')
  try {
    const s = await openSse(`${k.url}/api/daemon/logs`, { authorization: `Bearer ${k.token}` })
    try {
      const seen = (marker: string) => s.nextEvent((j) => j.type === 'log' && String(j.line).includes(marker))
      // the harness logs at warn and above
      k.kernel.log.warn('marker-before-rotation')
      await seen('marker-before-rotation')
      // exactly one rotation: the tail knows the old file by its inode, and several rotations
      // between two polls could delete that file and hand its inode to the new gateway.log
      let lines = 0
      while (!existsSync(join(logs, 'gateway.log.1'))) {
        k.kernel.log.warn({ i: lines++ }, 'f'.repeat(100))
        flushLog(k.kernel.log)
        assert.ok(lines < 200, 'no rotation after 200 lines of ~170 bytes')
      }
      k.kernel.log.warn('marker-after-rotation')
      assert.ok(existsSync(join(logs, 'gateway.log.1')), 'the log was not rotated')
      assert.equal(existsSync(join(logs, 'gateway.log.3')), false, 'more files kept than log_keep')
      for (const f of readdirSync(logs)) assert.ok(sizeOf(join(logs, f)) <= 8192, `${f}: ${sizeOf(join(logs, f))} bytes`)
      const after = await seen('marker-after-rotation')
      assert.equal(after.json.type, 'log')
    } finally {
      s.close()
    }
  } finally {
    await k.stop()
  }
})
