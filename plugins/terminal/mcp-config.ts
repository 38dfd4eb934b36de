/**
 * The MCP config file each coding CLI reads from its HOME, pointing at Revka's MCP server (contract
 * §3.2 "MCP wiring"). Pure: what to write and where; mcp-home.ts does the writing.
 *
 * Every file names one server, `revka`, reached over Streamable HTTP with the two headers the
 * in-process server checks (contract §7.3): `Authorization: Bearer <session token>` and
 * `X-Revka-Session: <session id>`. Each CLI spells that differently; the shapes follow each CLI's
 * own documentation for a remote server with static headers.
 */
import { join } from 'node:path'

export interface McpTarget {
  /** the MCP endpoint, e.g. `http://127.0.0.1:41234/mcp` */
  url: string
  session: string
  token: string
}

export interface McpConfigFile {
  /** path relative to the CLI's HOME */
  path: string
  content: string
}

export const SERVER_NAME = 'revka'

export function mcpHeaders(t: McpTarget): Record<string, string> {
  return { Authorization: `Bearer ${t.token}`, 'X-Revka-Session': t.session }
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n'

/**
 * A TOML basic string. JSON's escapes (\" \\ \b \f \n \r \t \uXXXX) are all valid TOML escapes,
 * so JSON.stringify of a string is a correct TOML string — the values are validated to plain
 * characters anyway (mcp-home.ts), this only keeps the file well-formed if that ever loosens.
 */
const tomlString = (s: string) => JSON.stringify(s)

function codexToml(t: McpTarget): string {
  const headers = Object.entries(mcpHeaders(t)).map(([k, v]) => `${tomlString(k)} = ${tomlString(v)}`)
  return [
    '# written by the Revka gateway for this terminal only; removed when it closes',
    `[mcp_servers.${SERVER_NAME}]`,
    `url = ${tomlString(t.url)}`,
    '',
    `[mcp_servers.${SERVER_NAME}.http_headers]`,
    ...headers,
    '',
  ].join('\n')
}

/**
 * The config file for `tool` (a name from ALLOWED_TOOLS), or undefined when the CLI gets the MCP
 * server through the REVKA_MCP_* env vars only: `agy` (no documented file format for a remote
 * server with headers) and a plain shell (no tool; scripts and hand-run clients read the env).
 */
export function mcpConfigFor(tool: string | undefined, t: McpTarget): McpConfigFile | undefined {
  const headers = mcpHeaders(t)
  switch (tool) {
    case 'claude':
      // Claude Code's user-scope servers live in ~/.claude.json
      return { path: '.claude.json', content: json({ mcpServers: { [SERVER_NAME]: { type: 'http', url: t.url, headers } } }) }
    case 'gemini':
      // `httpUrl` is Gemini CLI's key for Streamable HTTP (`url` would mean SSE)
      return { path: join('.gemini', 'settings.json'), content: json({ mcpServers: { [SERVER_NAME]: { httpUrl: t.url, headers } } }) }
    case 'cursor':
      return { path: join('.cursor', 'mcp.json'), content: json({ mcpServers: { [SERVER_NAME]: { url: t.url, headers } } }) }
    case 'opencode':
      // ~/.config because XDG_CONFIG_HOME is not in the terminal's env allow-list
      return {
        path: join('.config', 'opencode', 'opencode.json'),
        content: json({ $schema: 'https://opencode.ai/config.json', mcp: { [SERVER_NAME]: { type: 'remote', url: t.url, enabled: true, headers } } }),
      }
    case 'codex':
      return { path: join('.codex', 'config.toml'), content: codexToml(t) }
    default:
      return undefined
  }
}
