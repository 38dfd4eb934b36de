/**
 * The crash-safety scenario every queued webhook provider must pass: the provider API hangs, a
 * delivery is acknowledged (200), the gateway is SIGKILLed while the reply is in flight, and the
 * gateway restarted on the same state dir sends the reply and finishes the delivery.
 */
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { startGatewayProcess } from './gateway-process.js'
import { journal, rawRequest, startFakeApi, tempStateDir, waitUntil, type RecordedRequest } from './support.js'

export interface CrashScenario {
  /** plugin id, and the journal's channel name when it differs */
  plugin: string
  channel?: string
  /** the plugin's options, given the fake provider API's base URL */
  options(apiUrl: string): Record<string, unknown>
  path: string
  headers: Record<string, string>
  body: string
  /** extra checks right after the kill (e.g. the reply was journalled before the send) */
  afterKill?(stateDir: string): void
  /** provider-specific checks of the re-sent reply (`first` is the send the crash interrupted) */
  check(resent: RecordedRequest, first: RecordedRequest): void
}

export async function crashThenRestart(s: CrashScenario): Promise<void> {
  const api = await startFakeApi('hang')
  const stateDir = tempStateDir()
  const plugins = { 'agent-runtime': {}, [s.plugin]: s.options(api.url) }
  let gw = await startGatewayProcess(stateDir, plugins)
  try {
    const res = await rawRequest(gw.url, { method: 'POST', path: s.path, headers: s.headers, body: s.body })
    assert.equal(res.status, 200)
    // the provider API hangs: the turn ran and its send is in flight — crash now
    await api.waitFor(1)
    await gw.kill()
    s.afterKill?.(stateDir)
    api.mode = 'ok'
    gw = await startGatewayProcess(stateDir, plugins)
    const [first, resent] = await api.waitFor(2)
    s.check(resent, first)
    await waitUntil(() => journal(stateDir, s.plugin, s.channel ?? s.plugin).some((r) => r.op === 'done' && r.ok), 'the delivery to be finished')
  } finally {
    await gw.kill()
    await api.close()
    rmSync(stateDir, { recursive: true, force: true })
  }
}
