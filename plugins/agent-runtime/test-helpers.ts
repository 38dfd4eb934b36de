/**
 * Shared by the agent-runtime tests: boot a kernel with the runtime and the turn-probe consumer,
 * run turns through the probe's loopback route, watch the event bus, and stand up a local HTTP
 * server that speaks the streaming Chat Completions protocol (127.0.0.1:0, closed by the test).
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AnyEvent, TurnEvent, TurnResult } from '@revka/plugin-sdk'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

export const PROBE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'test-fixtures', 'turn-probe')

export interface RuntimeKernel {
  k: TestKernel
  /** every bus event since boot, in order */
  bus: AnyEvent[]
  turn(body: Record<string, unknown>): Promise<TurnReply>
  stop(): Promise<void>
}

export interface TurnReply {
  ok: boolean
  result?: TurnResult
  error?: { name: string; code: string; message: string }
  events: TurnEvent[]
}

/** `allowFailed`: plugins the test expects to fail (a bad config fails the runtime and its probe) */
export async function bootRuntime(config = '', allowFailed: string[] = []): Promise<RuntimeKernel> {
  const k = await startTestKernel({ plugins: ['agent-runtime', 'status', 'pairing'], paths: [PROBE_DIR], config, allowFailed })
  const bus: AnyEvent[] = []
  const off = k.kernel.events.subscribe((e) => bus.push(e))
  return {
    k,
    bus,
    async turn(body) {
      const res = await k.inject({ method: 'POST', url: '/fx/agent/turn', payload: body })
      if (res.statusCode !== 200) throw new Error(`turn route answered ${res.statusCode}: ${res.body}`)
      return res.json()
    },
    async stop() {
      off()
      await k.stop()
    },
  }
}

export const user = (content: string) => ({ role: 'user', content })

/** Bus events of the agent types only, as `type` strings, for order assertions. */
export function agentTypes(bus: AnyEvent[]): string[] {
  const agent = new Set(['agent_start', 'llm_request', 'tool_call_start', 'tool_call', 'agent_end', 'error'])
  return bus.filter((e) => agent.has(e.type)).map((e) => e.type)
}

// ---- a local OpenAI-compatible server ----

export interface SeenRequest {
  path: string
  headers: IncomingHttpHeaders
  body: any
}

/** What the server does with one request: an SSE stream of chunks, or a status with a JSON body. */
export type Script = { sse: Array<object | string>; delayMs?: number; hang?: boolean } | { status: number; json: unknown }

export interface FakeModelServer {
  baseUrl: string
  requests: SeenRequest[]
  close(): Promise<void>
}

/**
 * A loopback HTTP server that records every request (path, headers, JSON body) and lets `respond`
 * answer it; the wire format of each fake lives in its `respond`.
 */
export async function startRecordingServer(respond: (res: ServerResponse, body: any, n: number) => Promise<void> | void, root = ''): Promise<FakeModelServer> {
  const requests: SeenRequest[] = []
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (c) => parts.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}')
      requests.push({ path: req.url ?? '', headers: req.headers, body })
      void respond(res, body, requests.length - 1)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}${root}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

export function startModelServer(script: (body: any, n: number) => Script): Promise<FakeModelServer> {
  return startRecordingServer(async (res, body, n) => {
    const s = script(body, n)
    if ('status' in s) {
      res.writeHead(s.status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(s.json))
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    for (const item of s.sse) {
      if (res.destroyed) return
      res.write(`data: ${typeof item === 'string' ? item : JSON.stringify(item)}\n\n`)
      if (s.delayMs) await new Promise((r) => setTimeout(r, s.delayMs))
    }
    if (s.hang) return
    res.end('data: [DONE]\n\n')
  }, '/v1')
}

/** A port nothing listens on (bound, read, closed): an unreachable base_url. */
export async function deadPort(): Promise<number> {
  const s = createNetServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

/** Chunk builders in the shapes OpenAI streams. */
export const sse = {
  text: (content: string) => ({ choices: [{ index: 0, delta: { content } }] }),
  toolCall: (index: number, fields: { id?: string; name?: string; arguments?: string }) => ({
    choices: [
      {
        index: 0,
        delta: {
          tool_calls: [
            {
              index,
              ...(fields.id ? { id: fields.id, type: 'function' } : {}),
              function: { ...(fields.name ? { name: fields.name } : {}), ...(fields.arguments !== undefined ? { arguments: fields.arguments } : {}) },
            },
          ],
        },
      },
    ],
  }),
  finish: (reason: string) => ({ choices: [{ index: 0, delta: {}, finish_reason: reason }] }),
  usage: (prompt: number, completion: number) => ({
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  }),
}

/** config.toml for a provider at `baseUrl`; `top` holds more top-level keys, `table` more provider keys. */
export function providerConfig(baseUrl: string, top = '', table = ''): string {
  return `${top}
default_provider = "local"
default_model = "test-model"
default_temperature = 0.2

[providers.local]
type = "openai-compatible"
base_url = "${baseUrl}"
api_key = "sk-test-secret-7f3a9c"
input_cost_per_mtok = 3
output_cost_per_mtok = 15
${table}
`
}
