/**
 * `POST /api/mcp/servers/test`: can this MCP server be reached, and what tools does it offer?
 * Connects with the SDK's own Client over stdio, Streamable HTTP or SSE, lists tools, disconnects.
 * Always answers 200 `{ok, tool_count?, tools?, error?, latency_ms}`; the handshake is capped at
 * 10 s. A stdio server is spawned with the SDK's safe default environment plus the `env` given
 * (never the gateway's own, which holds REVKA_* secrets), and is killed if it misses the deadline.
 *
 * The MCP client modules are heavy: they are imported on first use, not when the gateway starts.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'

export const HANDSHAKE_CAP_MS = 10_000
const STDERR_TAIL = 2048

export interface ServerTestSpec {
  name: string
  transport: 'stdio' | 'http' | 'sse'
  command?: string
  args?: string[]
  env?: Record<string, string>
  url?: string
  headers?: Record<string, string>
  timeout_ms?: number
}

export interface ServerTestResult {
  ok: boolean
  tool_count?: number
  tools?: Array<{ name: string; description?: string }>
  error?: string
  latency_ms: number
}

/** JSON Schema for the request body (the kernel answers 400 on a mismatch) */
export const serverTestSchema = {
  type: 'object',
  required: ['name', 'transport'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 200 },
    transport: { enum: ['stdio', 'http', 'sse'] },
    command: { type: 'string', minLength: 1, maxLength: 4096 },
    args: { type: 'array', maxItems: 256, items: { type: 'string', maxLength: 4096 } },
    env: { type: 'object', additionalProperties: { type: 'string' } },
    url: { type: 'string', maxLength: 4096 },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    timeout_ms: { type: 'integer', minimum: 1 },
  },
}

async function makeTransport(spec: ServerTestSpec, stderr: (s: string) => void): Promise<Transport> {
  if (spec.transport === 'stdio') {
    if (!spec.command) throw new Error('stdio transport needs "command"')
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js')
    const t = new StdioClientTransport({ command: spec.command, args: spec.args ?? [], env: spec.env, stderr: 'pipe' })
    t.stderr?.on('data', (c: Buffer) => stderr(c.toString('utf8')))
    return t
  }
  if (!spec.url) throw new Error(`${spec.transport} transport needs "url"`)
  let url: URL
  try {
    url = new URL(spec.url)
  } catch {
    throw new Error(`not a valid URL: ${spec.url}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('url must be http(s)')
  const requestInit = { headers: spec.headers ?? {} }
  if (spec.transport === 'http') {
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js')
    return new StreamableHTTPClientTransport(url, { requestInit })
  }
  const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js')
  return new SSEClientTransport(url, { requestInit })
}

export async function testMcpServer(spec: ServerTestSpec, clientVersion: string): Promise<ServerTestResult> {
  const started = performance.now()
  const limit = Math.min(spec.timeout_ms ?? HANDSHAKE_CAP_MS, HANDSHAKE_CAP_MS)
  let stderrTail = ''
  const elapsed = () => Math.round(performance.now() - started)
  let transport: Transport | undefined
  let client: import('@modelcontextprotocol/sdk/client/index.js').Client | undefined
  let timer: NodeJS.Timeout | undefined
  try {
    transport = await makeTransport(spec, (s) => {
      stderrTail = (stderrTail + s).slice(-STDERR_TAIL)
    })
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js')
    const c = new Client({ name: 'revka-gateway-server-test', version: clientVersion })
    client = c
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no handshake within ${limit} ms`)), limit)
    })
    const listed = await Promise.race([
      (async () => {
        await c.connect(transport!, { timeout: limit })
        return c.listTools(undefined, { timeout: limit })
      })(),
      deadline,
    ])
    const tools = listed.tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}) }))
    return { ok: true, tool_count: tools.length, tools, latency_ms: elapsed() }
  } catch (e) {
    // a stdio server that missed the deadline may ignore stdin closing: do not wait 4 s for it
    const pid = (transport as { pid?: number | null } | undefined)?.pid
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    const tail = stderrTail.trim() ? ` (stderr: ${stderrTail.trim().slice(-500)})` : ''
    return { ok: false, error: `${(e as Error)?.message ?? String(e)}${tail}`, latency_ms: elapsed() }
  } finally {
    clearTimeout(timer)
    await (client ? client.close() : transport?.close())?.catch(() => {})
  }
}
