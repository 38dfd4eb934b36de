/**
 * Issue 10 item 10: `/ws/terminal` (16 in total) could be taken whole by one token. Now each
 * credential may hold `max_terminals_per_credential` (default 4): its next upgrade is refused with
 * 429 before any PTY is spawned, while a second token still gets a terminal.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootTerminal, isolateHome, openTerm, upgradeStatus, type TermClient } from './test-helpers.js'

isolateHome()

const PER_CREDENTIAL = 4

test("one token's terminal 5 is refused with 429 before the upgrade; another token still opens one; a closed one frees its slot", async () => {
  const k = await bootTerminal()
  const open: TermClient[] = []
  try {
    const alice = k.token!
    const bob = k.pairDevice('bob').token
    for (let i = 0; i < PER_CREDENTIAL; i++) open.push(await openTerm(k, '', alice))
    const over = await upgradeStatus(k, { authorization: `Bearer ${alice}` })
    assert.equal(over.status, 429, `terminal ${PER_CREDENTIAL + 1} of one token was accepted (${over.status})`)
    const body = JSON.parse(over.body)
    assert.equal(body.code, 'too_many_connections')
    assert.ok(body.retry_after > 0)

    open.push(await openTerm(k, '', bob))

    const first = open.shift()!
    first.ws.close()
    await first.closed
    let status = 0
    for (let i = 0; i < 50 && status !== 101; i++) {
      try {
        open.push(await openTerm(k, '', alice))
        status = 101
      } catch {
        await new Promise((r) => setTimeout(r, 20))
      }
    }
    assert.equal(status, 101, 'a closed terminal gives its slot back')
  } finally {
    for (const t of open) {
      t.ws.close()
      await t.closed
    }
    await k.stop()
  }
})
