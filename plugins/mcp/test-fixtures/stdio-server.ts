/**
 * Test fixture: a tiny stdio MCP server (the SDK's McpServer over stdin/stdout) with two tools, for
 * `POST /api/mcp/servers/test`. Run as `node stdio-server.js`; it exits when stdin closes.
 * `FX_GREETING` in its environment shows up in the `greet` tool's description, so a test can see
 * that the `env` it passed reached the process.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { z } from 'zod'

const server = new McpServer({ name: 'fx-stdio', version: '1.0.0' })
server.registerTool(
  'greet',
  {
    description: `Say ${process.env.FX_GREETING ?? 'hello'}`,
    inputSchema: { who: z.string() },
  },
  async ({ who }) => ({ content: [{ type: 'text', text: `${process.env.FX_GREETING ?? 'hello'} ${who}` }] }),
)
server.registerTool(
  'leak_check',
  {
    description: process.env.REVKA_GATEWAY_ADMIN_TOKEN ? 'LEAKED' : 'clean',
  },
  async () => ({ content: [{ type: 'text', text: 'ok' }] }),
)
await server.connect(new StdioServerTransport())
