/**
 * mcp — the agent's tools as an MCP server, and the gateway's proxy in front of it.
 *
 * At start the plugin binds an in-process MCP server on 127.0.0.1 (see upstream/server.ts), lists
 * tools from the `tool-registry` at request time, and writes `<home>/.revka/mcp.json`. The gateway
 * then serves `/api/mcp/*` and `/ws/mcp/events` by calling that server over loopback.
 *
 * If the server cannot bind, the plugin still starts (so the gateway keeps serving) and every proxy
 * route answers 503 `mcp_unavailable` with the reason, as the reference does; `/health` shows the
 * `mcp` component in error. The MCP SDK is imported only inside `onStart`.
 */
import { randomBytes } from 'node:crypto'
import { homedir } from 'node:os'
import {
  ConnectionCap,
  DEFAULT_SOCKETS_PER_CREDENTIAL,
  DEFAULT_STREAMS_PER_CREDENTIAL,
  definePlugin,
  httpError,
  KernelServices,
  reply,
} from '@revka/plugin-sdk'
import { discoveryPath, writeDiscovery, removeDiscovery } from './discovery-file.js'
import { addProxyRoutes } from './proxy/routes.js'
import { admitEvents, eventsSocket } from './proxy/ws-events.js'
import { forward, readJson } from './proxy/forward.js'
import type { McpCredentials } from './proxy/credentials.js'
import { SessionStore } from './upstream/sessions.js'
import { addClaudeHookRoute } from './claude-hook.js'
import type { Upstream } from './upstream/server.js'
import { serverTestSchema, testMcpServer, type ServerTestSpec } from './servers-test.js'
import { resolveCwd } from './cwd.js'

interface McpOptions {
  /** where `.revka/mcp.json` goes (default: env REVKA_MCP_HOME, then the user's home) */
  home_dir?: string
  /** fixed port for the in-process server (default 0: any free port) */
  port?: number
  /** working directory reported for sessions that name none (default: the workspace dir) */
  default_cwd?: string
  /** most MCP sessions kept at once (least recently used are forgotten) */
  max_sessions?: number
  /** open `/api/mcp/stream` exchanges and session event streams one credential may hold */
  max_streams_per_credential?: number
  /** the same over all credentials */
  max_streams?: number
  /** `/ws/mcp/events` sockets one credential may hold */
  max_sockets_per_credential?: number
}

/** streams over all credentials: each holds a gateway socket and one to the in-process server */
const DEFAULT_MAX_STREAMS = 1024

export default definePlugin<McpOptions>({
  setup(api) {
    const opts = api.config
    let upstream: Upstream | undefined
    let unavailable = 'mcp server not started yet'
    let secret = ''
    let sessions: SessionStore | undefined
    let gatewaySession: McpCredentials | undefined
    let discoveryFile: string | undefined

    const base = (): string => {
      if (upstream) return upstream.base
      throw httpError(503, 'mcp_unavailable', `MCP server unavailable: ${unavailable}`, { retryAfter: 5, extra: { available: false, reason: unavailable } })
    }

    addClaudeHookRoute(api, () => sessions)
    addProxyRoutes(api, {
      base,
      secret: () => secret,
      gatewaySession: () => {
        base()
        return gatewaySession!
      },
      streams: new ConnectionCap({
        what: 'MCP streams',
        perCredential: opts.max_streams_per_credential ?? DEFAULT_STREAMS_PER_CREDENTIAL,
        total: opts.max_streams ?? DEFAULT_MAX_STREAMS,
      }),
    })

    api.routes.add({
      method: 'GET',
      url: '/api/mcp/discovery',
      auth: 'bearer',
      timeoutMs: 2_000,
      description: '{available:true,url,health} or {available:false,reason}; always 200',
      handler: async (req) => {
        if (!upstream) return { available: false, reason: unavailable }
        const url = `${upstream.base}/mcp`
        try {
          const res = await forward(upstream.base, { method: 'GET', path: '/health', timeoutMs: 500, signal: req.signal })
          const health = await readJson(res)
          if (res.statusCode !== 200) return { available: false, reason: `health probe answered ${res.statusCode}` }
          return { available: true, url, health }
        } catch (e) {
          return { available: false, reason: `health probe failed: ${(e as Error).message}` }
        }
      },
    })

    api.routes.add({
      method: 'POST',
      url: '/api/mcp/servers/test',
      auth: 'bearer',
      timeoutMs: 15_000,
      schema: { body: serverTestSchema },
      description: 'probe an MCP server (stdio|http|sse): always 200 {ok, tool_count?, tools?, error?, latency_ms}',
      handler: async (req) => reply({ headers: { 'cache-control': 'no-store' }, body: await testMcpServer(req.body as ServerTestSpec, api.gateway.version) }),
    })

    // one token may hold max_sockets_per_credential sockets here; more are refused with 429
    const eventsCap = new ConnectionCap({ what: '/ws/mcp/events sockets', perCredential: opts.max_sockets_per_credential ?? DEFAULT_SOCKETS_PER_CREDENTIAL })
    const admitParams = admitEvents(base)
    api.routes.add({
      method: 'GET',
      url: '/ws/mcp/events',
      auth: 'bearer',
      websocket: true,
      subprotocol: 'revka.v1',
      description: "a session's progress frames as text frames (contract §3.4); ?session_id&mcp_token",
      admit: (req) => {
        admitParams(req)
        eventsCap.admit(req)
      },
      handler: eventsCap.guard(eventsSocket(base)),
    })

    let starting = true
    api.hooks.health.tap((sink) => {
      if (upstream) sink.report('mcp', 'ok')
      else if (starting) sink.report('mcp', 'starting')
      else sink.report('mcp', 'error', unavailable)
    })

    api.onStart(async () => {
      const tools = api.services.get(KernelServices.tools)
      secret = randomBytes(32).toString('hex')
      sessions = new SessionStore(opts.max_sessions ?? 256)
      const defaultCwd = (opts.default_cwd && resolveCwd(opts.default_cwd)) || api.gateway.workspaceDir || homedir()
      gatewaySession = (({ session_id, token }) => ({ session: session_id, token }))(sessions.mint(defaultCwd, true))
      // after the gateway listens; the MCP SDK itself loads on the first MCP request
      const { startUpstream } = await import('./upstream/server.js')
      try {
        upstream = await startUpstream({
          port: opts.port ?? 0,
          secret,
          tools,
          sessions,
          defaultCwd,
          version: api.gateway.version,
          log: api.log,
          observer: {
            start: (tool, sid) => api.events.emit('tool_call_start', { tool, session_id: `mcp_${sid}` }),
            end: (tool, sid, ms, success) => api.events.emit('tool_call', { tool, duration_ms: ms, success, session_id: `mcp_${sid}` }),
          },
        })
      } catch (e) {
        starting = false
        unavailable = `mcp server not bound (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`
        api.log.error({ port: opts.port ?? 0, err: (e as Error).message }, 'REVKA_ERR_MCP_BIND: the MCP server could not bind; /api/mcp/* answers 503')
        return
      }
      starting = false
      discoveryFile = discoveryPath(opts.home_dir, (name) => api.gateway.env(name))
      try {
        writeDiscovery(discoveryFile, { url: `${upstream.base}/mcp`, pid: process.pid, started_at: new Date().toISOString() })
      } catch (e) {
        // the server works without the file; only local discovery by other processes is lost
        api.log.warn({ path: discoveryFile, err: (e as Error).message }, 'could not write mcp.json')
      }
      api.log.info({ url: `${upstream.base}/mcp` }, 'MCP server listening')
    })

    api.onStop(async () => {
      const up = upstream
      upstream = undefined
      unavailable = 'mcp server stopped'
      if (!up) return
      if (discoveryFile) removeDiscovery(discoveryFile, `${up.base}/mcp`)
      await up.close()
    })
  },
})
