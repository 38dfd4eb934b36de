/**
 * Shared pieces of the public-ingress tests: counting agent turns on the event bus, polling, the
 * webhook journal on disk, raw-socket requests (paths with `..` must reach the server unnormalised),
 * and the "refused and inert" assertion every attack ends with.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestKernel } from '@revka/plugin-testing'
import type { FakeApi } from './fake-api.js'

export { startFakeApi } from './fake-api.js'
export type { FakeApi, RecordedRequest } from './fake-api.js'

/** Agent turns seen on the bus (`agent_start`), so a test can say "the agent never ran" / "ran once". */
export interface TurnCounter {
  readonly count: number
  stop(): void
}

export function countTurns(k: TestKernel): TurnCounter {
  let n = 0
  const off = k.kernel.events.subscribe((e) => {
    if (e.type === 'agent_start') n++
  })
  return {
    get count() {
      return n
    },
    stop: off,
  }
}

export async function waitUntil(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export function tempStateDir(prefix = 'revka-ingress-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Parsed records of a webhook plugin's delivery journal (`[]` when nothing was ever written). */
export function journal(stateDir: string, pluginId: string, channel = pluginId): Array<Record<string, any>> {
  const file = join(stateDir, 'plugins', pluginId, `webhook-${channel}`, 'deliveries.jsonl')
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
}

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
  json<T = any>(): T
}

/** An HTTP request over a real socket with the path sent byte for byte (no URL normalisation). */
export function rawRequest(
  baseUrl: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const u = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) })
      })
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

/**
 * An attack's verdict: the expected refusal in the contract shape, and — after giving a wrongly
 * started turn time to show up — no agent turn, no call to the provider API, nothing journalled.
 */
export async function assertRefusedAndInert(
  res: { statusCode: number; json(): any },
  expect: { status: number; code: string },
  inert: { turns: TurnCounter; api?: FakeApi; stateDir?: string; pluginId?: string; channel?: string },
): Promise<void> {
  assert.equal(res.statusCode, expect.status)
  const body = res.json()
  assert.equal(body.code, expect.code)
  assert.equal(typeof body.error, 'string')
  await sleep(100)
  assert.equal(inert.turns.count, 0, 'the agent must never run for a refused delivery')
  if (inert.api) assert.equal(inert.api.requests.length, 0, 'nothing may reach the provider API')
  if (inert.stateDir && inert.pluginId) {
    const enq = journal(inert.stateDir, inert.pluginId, inert.channel).filter((r) => r.op === 'enq')
    assert.deepEqual(enq, [], 'nothing may be journalled')
  }
}
