/**
 * Revocation survives a restart: a revoked or rotated-out token stays dead when a new kernel starts
 * on the same state dir (the reference kept revoked hashes in config and honoured them again), while
 * every other device keeps working.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { bearer, PROBE_DIR, REMOTE, removeDir, tempStateDir, wsConnect, wsUrl } from './support.js'

async function status(k: TestKernel, token: string): Promise<number> {
  return (await k.inject({ url: '/probe/bearer', headers: bearer(token), remoteAddress: REMOTE })).statusCode
}

test('revoked and rotated-out tokens stay dead after a restart on the same state dir', async () => {
  const stateDir = tempStateDir()
  try {
    let revoked: { token: string; deviceId: string }
    let rotatedOld: { token: string; deviceId: string }
    let rotatedNew: string
    let keeper: { token: string; deviceId: string }

    const k1 = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], stateDir, pair: false })
    try {
      revoked = k1.pairDevice('revoked')
      rotatedOld = k1.pairDevice('rotated')
      keeper = k1.pairDevice('keeper')
      const del = await k1.inject({ method: 'DELETE', url: `/api/devices/${revoked.deviceId}`, headers: bearer(keeper.token) })
      assert.equal(del.statusCode, 200)
      const rot = await k1.inject({ method: 'POST', url: `/api/devices/${rotatedOld.deviceId}/token/rotate`, headers: bearer(keeper.token) })
      assert.equal(rot.statusCode, 200)
      // the contract's answer is a code; the device pairs again with it and keeps its id
      assert.match(rot.json().pairing_code, /^\d{6}$/)
      const again = await k1.inject({ method: 'POST', url: '/api/pair', payload: { code: rot.json().pairing_code } })
      assert.equal(again.json().device_id, rotatedOld.deviceId)
      rotatedNew = again.json().token
      assert.equal(await status(k1, revoked.token), 401)
      assert.equal(await status(k1, rotatedOld.token), 401)
    } finally {
      await k1.stop()
    }

    for (let round = 1; round <= 2; round++) {
      const k2 = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], stateDir, pair: false })
      try {
        assert.equal(await status(k2, revoked.token), 401, `round ${round}: a revoked token came back`)
        assert.equal(await status(k2, rotatedOld.token), 401, `round ${round}: a rotated-out token came back`)
        assert.equal(await status(k2, rotatedNew), 200, `round ${round}: the rotated-in token was lost`)
        assert.equal(await status(k2, keeper.token), 200, `round ${round}: an untouched device was lost`)
        const ws = await wsConnect(wsUrl(k2.url!, '/probe/ws'), { protocols: ['revka.v1'], headers: bearer(revoked.token) })
        assert.equal(ws.kind, 'refused')
        assert.equal((ws as any).status, 401)
        const ids = k2.kernel.auth.pairing
          .listDevices()
          .map((d) => d.id)
          .sort()
        assert.deepEqual(ids, [keeper.deviceId, rotatedOld.deviceId].sort())
        // the revoked device cannot be revoked "again" into existence, nor rotated back
        assert.equal(k2.kernel.auth.pairing.rotate(revoked.deviceId), null)
      } finally {
        await k2.stop()
      }
    }
  } finally {
    removeDir(stateDir)
  }
})

test('an admin token that was a revoked device token does not resurrect it', async () => {
  // REVKA_GATEWAY_ADMIN_TOKEN is the operator's own credential; pasting a revoked device token
  // there must not bring that token back.
  const stateDir = tempStateDir()
  try {
    let dead: string
    const k1 = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], stateDir, pair: false })
    try {
      const d = k1.pairDevice('gone')
      dead = d.token
      assert.ok(k1.kernel.auth.pairing.revoke(d.deviceId))
    } finally {
      await k1.stop()
    }
    const k2 = await startTestKernel({ plugins: ['pairing'], paths: [PROBE_DIR], stateDir, pair: false, env: { REVKA_GATEWAY_ADMIN_TOKEN: dead } })
    try {
      assert.equal(await status(k2, dead), 401)
    } finally {
      await k2.stop()
    }
  } finally {
    removeDir(stateDir)
  }
})
