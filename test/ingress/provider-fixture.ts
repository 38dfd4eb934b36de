/**
 * The boot every webhook-provider test repeats: a fake provider API, a test kernel running the
 * provider plugin with the real agent runtime, and a turn counter — and the teardown that must stop
 * all three even when an assertion fails (a kernel left running keeps the test process alive).
 */
import { before, after } from 'node:test'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { startFakeApi, type FakeApi, type FakeApiMode } from './fake-api.js'
import { countTurns, type TurnCounter } from './support.js'

export interface ProviderSetup {
  plugin: string
  /** the plugin's options, given the fake API's base URL; omitted, the plugin gets no options at all */
  options?(apiUrl: string): Record<string, unknown>
  /** reuse a fake API the caller owns (it is then not closed here) instead of starting one */
  api?: FakeApi
  apiMode?: FakeApiMode
  env?: Record<string, string | undefined>
  stateDir?: string
}

export interface Provider {
  k: TestKernel
  api: FakeApi
  turns: TurnCounter
  stop(): Promise<void>
}

export async function startProvider(s: ProviderSetup): Promise<Provider> {
  const api = s.api ?? (await startFakeApi(s.apiMode))
  const closeApi = () => (s.api ? Promise.resolve() : api.close())
  let k: TestKernel
  try {
    k = await startTestKernel({
      plugins: [s.plugin, 'agent-runtime'],
      options: s.options ? { [s.plugin]: s.options(api.url) } : undefined,
      env: s.env,
      stateDir: s.stateDir,
    })
  } catch (e) {
    await closeApi()
    throw e
  }
  const turns = countTurns(k)
  return {
    k,
    api,
    turns,
    async stop() {
      turns.stop()
      try {
        await k.stop()
      } finally {
        await closeApi()
      }
    },
  }
}

/** One test's provider: booted for `body`, stopped after it whatever happens. */
export async function withProvider<T>(s: ProviderSetup, body: (p: Provider) => Promise<T>): Promise<T> {
  const p = await startProvider(s)
  try {
    return await body(p)
  } finally {
    await p.stop()
  }
}

/**
 * One provider shared by every test of a file (the attack files: each refusal must leave it
 * untouched, so sharing it also checks that). Its fields are filled in by `before`, so read them
 * inside tests, never at module level.
 */
export function providerForFile(s: ProviderSetup): Provider {
  const shared = {} as Provider
  before(async () => {
    Object.assign(shared, await startProvider(s))
  })
  after(async () => {
    await shared.stop?.()
  })
  return shared
}
