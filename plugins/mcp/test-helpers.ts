/**
 * Shared by the mcp tests: a kernel with the mcp plugin and the tools fixture on a real port, a
 * temp home for mcp.json, and the unmodified MCP SDK client connected over Streamable HTTP.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

export const FIXTURE_TOOLS = fileURLToPath(new URL('./test-fixtures/tools-fixture', import.meta.url))
export const STDIO_SERVER = fileURLToPath(new URL('./test-fixtures/stdio-server.js', import.meta.url))

export interface McpKernel {
  k: TestKernel
  home: string
  mcpJson: string
  /** the gateway's base URL (no trailing slash) */
  url: string
  auth: Record<string, string>
  stop(): Promise<void>
}

export async function bootMcp(extra: { options?: Record<string, unknown>; plugins?: string[]; paths?: string[] } = {}): Promise<McpKernel> {
  const home = mkdtempSync(join(tmpdir(), 'revka-mcp-home-'))
  const k = await startTestKernel({
    plugins: ['mcp', 'status', ...(extra.plugins ?? [])],
    paths: [FIXTURE_TOOLS, ...(extra.paths ?? [])],
    options: { mcp: { home_dir: home, ...extra.options } },
    listen: true,
  })
  return {
    k,
    home,
    mcpJson: join(home, '.revka', 'mcp.json'),
    url: k.url!.replace(/\/$/, ''),
    auth: { authorization: `Bearer ${k.token}` },
    async stop() {
      try {
        await k.stop()
      } finally {
        rmSync(home, { recursive: true, force: true })
      }
    },
  }
}

export function readMcpJson(m: McpKernel): { url: string; pid: number; started_at: string } {
  return JSON.parse(readFileSync(m.mcpJson, 'utf8'))
}

/** mint an MCP session through the gateway */
export async function mintSession(m: McpKernel, body: unknown = {}): Promise<{ session_id: string; token: string; cwd: string }> {
  const res = await fetch(`${m.url}/api/mcp/session`, {
    method: 'POST',
    headers: { ...m.auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (res.status !== 200) throw new Error(`session mint failed: ${res.status} ${await res.text()}`)
  return res.json() as any
}

/** the SDK client, unmodified, on Streamable HTTP with the given headers */
export async function connectClient(url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'revka-test', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }))
  return client
}

/** tools/list through a fresh session and the unmodified SDK client: the names listed */
export async function listToolNames(m: McpKernel): Promise<string[]> {
  const s = await mintSession(m)
  const client = await connectClient(readMcpJson(m).url, { authorization: `Bearer ${s.token}`, 'x-revka-session': s.session_id })
  try {
    // a bound for a server that never answers (a tool it could not serialise once hung the list)
    const { tools } = await client.listTools(undefined, { timeout: 15_000 })
    return tools.map((t) => t.name)
  } finally {
    await client.close()
  }
}

/** the HTTP status of a refused WebSocket upgrade (rejects if the upgrade is accepted) */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['revka.v1'], { headers })
    ws.once('unexpected-response', (_req, res) => {
      res.resume()
      resolve(res.statusCode!)
    })
    ws.once('open', () => {
      ws.close()
      reject(new Error('upgrade was accepted'))
    })
    ws.once('error', () => {})
  })
}
