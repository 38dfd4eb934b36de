import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { call } from './test-support/http.js'

// real `revka daemon` processes on one state dir: the lock, and SIGKILL right after acknowledged creates
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const stateDir = mkdtempSync(join(tmpdir(), 'revka-cron-daemon-'))
const pluginsFile = join(stateDir, 'revka.plugins.json')
writeFileSync(pluginsFile, JSON.stringify({ builtins: false, paths: ['cron', 'agent-runtime', 'status'].map((p) => join(ROOT, 'plugins', p)) }))
const env = {
  ...process.env,
  REVKA_STATE_DIR: stateDir,
  REVKA_PLUGINS_FILE: pluginsFile,
  REVKA_GATEWAY_HOST: '127.0.0.1',
  REVKA_GATEWAY_PORT: '0',
  REVKA_REQUIRE_PAIRING: '0',
}
const children: ChildProcess[] = []
after(() => {
  for (const c of children) c.kill('SIGKILL')
  rmSync(stateDir, { recursive: true, force: true })
})

function daemon(): { child: ChildProcess; ready: Promise<string>; exit: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin/revka.js'), 'daemon'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let out = ''
  const exit = new Promise<{ code: number | null; out: string }>((r) => child.once('exit', (code) => r({ code, out })))
  const ready = new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`daemon did not start:\n${out}`)), 20_000)
    const onData = (c: Buffer) => {
      out += c.toString()
      const u = /listening on (http:\/\/\S+)/.exec(out)
      if (u) {
        clearTimeout(timer)
        res(u[1].replace(/\/$/, ''))
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      rej(new Error(`daemon exited (${code}):\n${out}`))
    })
  })
  return { child, ready, exit }
}

test('a second daemon on the same state dir is refused; a SIGKILLed daemon loses no acknowledged job', async () => {
  const first = daemon()
  const url = await first.ready
  assert.equal(readFileSync(join(stateDir, 'kernel', 'daemon.lock'), 'utf8').trim(), String(first.child.pid))

  const second = daemon()
  second.ready.catch(() => {})
  const refused = await second.exit
  assert.equal(refused.code, 1)
  assert.match(refused.out, new RegExp(`REVKA_ERR_DAEMON_RUNNING.*another revka daemon \\(pid ${first.child.pid}\\)`))

  // every create that answered 200 must survive a SIGKILL sent the moment the last answer arrived
  const ids: string[] = []
  await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const r = await call(url, null, 'POST', '/api/cron', { schedule: '0 3 * * *', prompt: `job ${i}` })
      assert.equal(r.status, 200)
      ids.push(r.json.job.id)
    }),
  )
  first.child.kill('SIGKILL')
  await first.exit
  assert.ok(existsSync(join(stateDir, 'kernel', 'daemon.lock')), 'the dead daemon left its lock behind')

  const third = daemon() // takes over the stale lock
  const url3 = await third.ready
  const jobs = (await call(url3, null, 'GET', '/api/cron')).json.jobs as Array<{ id: string; prompt: string }>
  assert.deepEqual(jobs.map((j) => j.id).sort(), [...ids].sort())
  third.child.kill('SIGTERM')
  assert.equal((await third.exit).code, 0)
  assert.ok(!existsSync(join(stateDir, 'kernel', 'daemon.lock')), 'a clean stop releases the lock')
})
