/**
 * GET /api/channels' message_count comes from a provider's delivery journal: it counts inbound
 * messages, not idempotency-only records, and survives the compaction that drops finished
 * deliveries (at open and every few thousand appends) and any number of restarts.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeliveryJournal } from '../../plugin-sdk/src/webhook/journal.js'

const dir = mkdtempSync(join(tmpdir(), 'revka-journal-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const msg = (text: string) => ({ channel: 'x', sender: 's', text })

test('message count and last message time survive compaction and restarts', () => {
  let j = new DeliveryJournal(dir, 60_000, 100, 1_000)
  j.enqueue({ id: 'a', key: 'k1', at: 1_000, attempts: 0, message: msg('1') })
  j.enqueue({ id: 'b', at: 2_000, attempts: 0, message: msg('2') })
  j.enqueue({ id: 'c', at: 3_000, attempts: 0, message: msg('3') })
  j.enqueue({ id: 'd', key: 'k2', at: 3_500, attempts: 0, message: null as any }) // idempotency only
  j.finish('a', true)
  j.finish('b', true)
  assert.deepEqual(j.stats(), { received: 3, lastAt: 3_000 })
  j.close()
  for (let i = 0; i < 3; i++) {
    j = new DeliveryJournal(dir, 60_000, 100, 10_000 + i) // each open compacts: a and b are gone
    assert.deepEqual(j.stats(), { received: 3, lastAt: 3_000 }, `restart ${i}`)
    assert.deepEqual(
      j
        .list()
        .map((d) => d.id)
        .sort(),
      ['c', 'd'],
    )
    j.close()
  }
  j = new DeliveryJournal(dir, 60_000, 100, 20_000)
  j.enqueue({ id: 'e', at: 20_000, attempts: 0, message: msg('4') })
  assert.deepEqual(j.stats(), { received: 4, lastAt: 20_000 })
  j.close()
})
