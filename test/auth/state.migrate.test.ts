/**
 * The one-time move of a state dir in the old layout, where the gateway kept its own state inside
 * the served workspace (`workspace/devices.db`, `workspace/sessions/`, `workspace/attachments/`,
 * `workspace/state/costs.jsonl`), to `<state>/kernel/` and `<state>/plugins/<id>/`. Nothing is
 * lost: a paired token, a chat history, an attachment and the cost ledger all survive the move;
 * a second start moves nothing; when both places hold a file, the new one wins and the old one is
 * left where it was, with a warning.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { bearer, REMOTE, removeDir, tempStateDir } from './support.js'
import { makeState, SCRIPTED_RUNTIME } from './state-traffic.js'
const PLUGINS = ['pairing', 'chat', 'cost', 'workspace']

function find(dir: string, name: RegExp): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (name.test(p)) out.push(p)
      else if (e.isDirectory()) walk(p)
    }
  }
  walk(dir)
  return out
}

/** move `from` (a file or folder) to `to`, creating the folders on the way */
function moveTo(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true })
  renameSync(from, to)
}

const start = (stateDir: string) => startTestKernel({ stateDir, plugins: PLUGINS, paths: [SCRIPTED_RUNTIME], listen: true, pair: false })

/**
 * Make some state with a running gateway, stop it, then lay its files out the way the old gateway
 * did (wherever this gateway put them). Returns what the state holds.
 */
async function oldLayoutStateDir(): Promise<{ stateDir: string; token: string; fileId: string }> {
  const stateDir = tempStateDir()
  const k = await start(stateDir)
  let token: string, fileId: string
  try {
    ;({ token, fileId } = await makeState(k.url!, k.serviceToken, {
      sid: 'kept',
      message: 'remember me',
      attachment: 'attached bytes',
      model: 'kept-model',
      cost: 1.25,
    }))
  } finally {
    await k.stop()
  }
  const ws = join(stateDir, 'workspace')
  for (const f of find(stateDir, /devices\.db(-wal|-shm)?$/)) if (dirname(f) !== ws) moveTo(f, join(ws, f.split('/').pop()!))
  const sessions = find(stateDir, /\/sessions$/).filter((d) => existsSync(join(d, 'sessions.db')))
  if (sessions[0] !== join(ws, 'sessions')) moveTo(sessions[0], join(ws, 'sessions'))
  const attachments = find(stateDir, /\/attachments$/)
  if (attachments[0] !== join(ws, 'attachments')) moveTo(attachments[0], join(ws, 'attachments'))
  const ledger = find(stateDir, /costs\.jsonl$/)
  if (ledger[0] !== join(ws, 'state', 'costs.jsonl')) moveTo(ledger[0], join(ws, 'state', 'costs.jsonl'))
  for (const old of ['devices.db', 'sessions/sessions.db', `attachments/kept/${fileId}`, 'state/costs.jsonl'])
    assert.ok(existsSync(join(ws, old)), `old layout: ${old}`)
  return { stateDir, token, fileId }
}

test('an old-layout state dir is moved out of the workspace on start, with every piece of data intact', async () => {
  const { stateDir, token, fileId } = await oldLayoutStateDir()
  let k: TestKernel | undefined
  try {
    k = await start(stateDir)
    const ws = join(stateDir, 'workspace')
    for (const old of ['devices.db', 'devices.db-wal', 'devices.db-shm', 'sessions', 'attachments', 'state/costs.jsonl']) {
      assert.equal(existsSync(join(ws, old)), false, `${old} is still in the workspace`)
    }
    assert.ok(existsSync(join(stateDir, 'kernel', 'devices.db')))
    assert.ok(existsSync(join(stateDir, 'plugins', 'chat', 'sessions', 'sessions.db')))
    assert.ok(existsSync(join(stateDir, 'plugins', 'chat', 'attachments', 'kept', fileId)))
    assert.ok(existsSync(join(stateDir, 'plugins', 'cost', 'costs.jsonl')))

    // the paired token still works, from a remote address too
    const devices = await k.inject({ url: '/api/devices', headers: bearer(token), remoteAddress: REMOTE })
    assert.equal(devices.statusCode, 200)
    assert.equal(devices.json().count, 1)
    const history = await k.inject({ url: '/api/sessions/kept/messages', headers: bearer(token) })
    assert.equal(history.statusCode, 200)
    assert.ok(JSON.stringify(history.json()).includes('remember me'))
    const cost = await k.inject({ url: '/api/cost', headers: bearer(token) })
    assert.equal(cost.statusCode, 200)
    assert.equal(cost.json().cost.daily_cost_usd, 1.25, cost.body)
    assert.equal(readFileSync(join(stateDir, 'plugins', 'chat', 'attachments', 'kept', fileId), 'utf8'), 'attached bytes')
    await k.stop()
    k = undefined

    // idempotent: a second start finds nothing to move and loses nothing
    k = await start(stateDir)
    assert.equal((await k.inject({ url: '/api/devices', headers: bearer(token), remoteAddress: REMOTE })).statusCode, 200)
  } finally {
    await k?.stop()
    removeDir(stateDir)
  }
})

test('when both the old and the new place hold a file, the new one is kept and the old one is left with a warning', async () => {
  const { stateDir, token } = await oldLayoutStateDir()
  let k: TestKernel | undefined
  try {
    k = await start(stateDir)
    await k.stop()
    k = undefined
    // an old copy reappears (a backup restored over the workspace, say)
    writeFileSync(join(stateDir, 'workspace', 'devices.db'), 'stale copy')
    mkdirSync(join(stateDir, 'workspace', 'state'), { recursive: true })
    writeFileSync(join(stateDir, 'workspace', 'state', 'costs.jsonl'), '{"stale":true}\n')
    k = await start(stateDir)
    assert.equal(readFileSync(join(stateDir, 'workspace', 'devices.db'), 'utf8'), 'stale copy')
    assert.equal((await k.inject({ url: '/api/devices', headers: bearer(token), remoteAddress: REMOTE })).statusCode, 200)
    assert.ok(!readFileSync(join(stateDir, 'plugins', 'cost', 'costs.jsonl'), 'utf8').includes('stale'))
    const log = readFileSync(join(stateDir, 'logs', 'gateway.log'), 'utf8')
    assert.match(log, /REVKA_ERR_STATE_MIGRATION[^\n]*workspace\/devices\.db/)
    assert.match(log, /REVKA_ERR_STATE_MIGRATION[^\n]*workspace\/state\/costs\.jsonl/)
  } finally {
    await k?.stop()
    removeDir(stateDir)
  }
})
