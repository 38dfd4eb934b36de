/**
 * A local server speaking Anthropic's Messages API wire format, for the tests: it replays recorded
 * event-stream transcripts (test/fixtures/providers/anthropic-*.txt) event by event, or answers
 * with a status and an Anthropic-shaped error body. 127.0.0.1:0, closed by the test.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRecordingServer, type FakeModelServer } from './test-helpers.js'

export const PROVIDER_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'providers')

/** A recorded transcript, as the list of its events (each `event: …\ndata: …`). */
export function transcript(name: string): string[] {
  return readFileSync(join(PROVIDER_FIXTURES, name), 'utf8')
    .split(/\n\n+/)
    .filter((e) => e.trim())
}

export type AnthropicScript =
  { events: string[]; delayMs?: number; hang?: boolean } | { status: number; errorType: string; message: string; headers?: Record<string, string> }

export function startAnthropicServer(script: (body: any, n: number) => AnthropicScript): Promise<FakeModelServer> {
  return startRecordingServer(async (res, body, n) => {
    const s = script(body, n)
    if ('status' in s) {
      res.writeHead(s.status, { 'content-type': 'application/json', ...s.headers })
      res.end(JSON.stringify({ type: 'error', error: { type: s.errorType, message: s.message } }))
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
    for (const ev of s.events) {
      if (res.destroyed) return
      res.write(`${ev}\n\n`)
      if (s.delayMs) await new Promise((r) => setTimeout(r, s.delayMs))
    }
    if (!s.hang) res.end()
  })
}

export const ANTHROPIC_KEY = 'sk-ant-test-4b1d9e'

/** config.toml for an anthropic provider at `baseUrl` ($3/M in, $15/M out); `table` adds provider keys. */
export function anthropicConfig(baseUrl: string, table = ''): string {
  return `
default_provider = "claude"
default_temperature = 0.2

[providers.claude]
type = "anthropic"
base_url = "${baseUrl}"
api_key = "${ANTHROPIC_KEY}"
model = "claude-sonnet-4-5"
max_tokens = 1024
input_cost_per_mtok = 3
output_cost_per_mtok = 15
${table}
`
}
