/**
 * What a webhook delivery left behind once it has settled: a delivery with nothing to answer is
 * acknowledged with `queued: 0`, and after a pause long enough for a wrongly started turn (or a
 * second one) to show up, the turn and provider-API counts are exactly what the test expects.
 */
import assert from 'node:assert/strict'
import type { FakeApi } from './fake-api.js'
import { sleep, type TurnCounter } from './support.js'

/** accepted (200) but nothing queued: a status receipt, our own echo, a non-text message… */
export function assertAcknowledgedNotQueued(res: { statusCode: number; json(): any }): void {
  assert.equal(res.statusCode, 200)
  assert.equal(res.json().queued, 0)
}

/** waits `settleMs`, then checks the turn count and, when `apiRequests` is given, the API calls */
export async function assertSettled(
  seen: { turns: TurnCounter; api?: FakeApi },
  want: { turns: number; apiRequests?: number },
  settleMs: number,
): Promise<void> {
  await sleep(settleMs)
  assert.equal(seen.turns.count, want.turns)
  if (want.apiRequests !== undefined) assert.equal(seen.api!.requests.length, want.apiRequests)
}
