/**
 * Internal state is never served (issue 10 item 5, contract "differ" 17). The gateway's own state —
 * devices.db (token hashes), the chat sessions database, attachments, the cost ledger — lives
 * outside the workspace that `/workspace/*` serves by signed URL, and `POST /api/workspace/sign`
 * refuses any path that names a database, a journal, a key or a dotfile, symlinks included.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { bearer, REMOTE, removeDir, tempStateDir } from './support.js'
import { filesUnder, makeState, SCRIPTED_RUNTIME } from './state-traffic.js'

/** what the gateway keeps for itself, by name */
const INTERNAL = /(^|\/)(devices\.db(-wal|-shm)?|sessions\.db(-wal|-shm)?|costs\.jsonl|deliveries\.jsonl|store\.json|service-token)$|(^|\/)attachments\//

test('after a start with pairing, chat, attachments and cost used, no kernel or plugin state is under the workspace, and none of it can be signed', async () => {
  const stateDir = tempStateDir()
  let k: TestKernel | undefined
  try {
    k = await startTestKernel({ stateDir, plugins: ['pairing', 'chat', 'cost', 'workspace'], paths: [SCRIPTED_RUNTIME], listen: true })
    const { token, fileId } = await makeState(k.url!, k.serviceToken, {
      sid: 'leak-check',
      message: 'hello',
      attachment: 'attachment body',
      model: 'm',
      cost: 0.5,
    })
    const ws = k.kernel.paths.workspaceDir

    // the state exists (so the walk below measures something) ...
    const everywhere = filesUnder(stateDir).map((f) => relative(stateDir, f))
    for (const name of [/devices\.db$/, /sessions\.db$/, /costs\.jsonl$/, /attachments\//]) {
      assert.ok(
        everywhere.some((f) => name.test(f)),
        `no ${name} anywhere under the state dir: ${everywhere.join(', ')}`,
      )
    }
    // ... and none of it is inside the served workspace
    const leaked = filesUnder(ws)
      .map((f) => relative(ws, f))
      .filter((f) => INTERNAL.test(f))
    assert.deepEqual(leaked, [], `internal files under the workspace: ${leaked.join(', ')}`)

    // defense in depth: whatever the workspace holds, such names are never signed
    writeFileSync(join(ws, 'shared.txt'), 'meant for sharing')
    mkdirSync(join(ws, 'keys'), { recursive: true })
    for (const f of ['planted.db', 'planted.sqlite', 'planted.db-wal', 'keys/server.key', 'keys/tls.pem', '.env', 'deliveries.jsonl'])
      writeFileSync(join(ws, f), 'x')
    symlinkSync(join(stateDir, 'kernel', 'devices.db'), join(ws, 'innocent.txt'))
    symlinkSync(join(stateDir, 'kernel'), join(ws, 'linked'))
    const sign = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${k!.url}/api/workspace/sign`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ path }) })

    assert.equal((await sign('shared.txt')).status, 200, 'a shared file must still be signable')
    const refused: string[] = [
      'devices.db',
      'devices.db-wal',
      'devices.db-shm',
      'sessions/sessions.db',
      'sessions/sessions.db-wal',
      'state/costs.jsonl',
      `attachments/leak-check/${fileId}`,
      'planted.db',
      'planted.sqlite',
      'planted.db-wal',
      'keys/server.key',
      'keys/tls.pem',
      '.env',
      'a/.git/config',
      'deliveries.jsonl',
      'webhook-x/deliveries.jsonl',
      'innocent.txt',
      'linked/devices.db',
    ]
    const signed: string[] = []
    for (const path of refused) {
      for (const headers of [{}, { ...bearer(token), 'x-forwarded-for': REMOTE }]) {
        const res = await sign(path, headers)
        if (res.status === 200) {
          signed.push(path)
          continue
        }
        const body = (await res.json()) as any
        assert.ok([400, 401, 403, 404].includes(res.status), `${path}: ${res.status}`)
        assert.equal(typeof body.error, 'string')
        assert.match(body.code, /^[a-z_]+$/)
      }
    }
    assert.deepEqual(signed, [], `signed internal paths: ${signed.join(', ')}`)
    // a path out of the workspace into the kernel's folder is refused before anything resolves it
    assert.equal((await sign('../kernel/devices.db')).status, 400)

    // a link minted before the rule (or for a file swapped in later) still cannot read them
    for (const path of ['innocent.txt', 'planted.db', '.env']) {
      const url = k.kernel.auth.signUrl(`/workspace/${path}`, 60, path)
      const res = await fetch(`${k.url}${url}`)
      // 400 for the symlink that resolves out of the workspace, 403 for the names
      assert.ok([400, 403, 404].includes(res.status), `GET ${path} with a valid signature: ${res.status}`)
      const body = await res.text()
      assert.ok(!body.includes('SQLite format'), `GET ${path} served a database`)
      assert.match(JSON.parse(body).code, /^[a-z_]+$/)
    }
    assert.ok(statSync(join(stateDir, 'kernel', 'devices.db')).isFile())
  } finally {
    await k?.stop()
    removeDir(stateDir)
  }
})
