/**
 * terminal — `/ws/terminal` (contract §3.2): a PTY over a WebSocket, subprotocol `revka.v1`, bearer.
 *
 * A terminal is a shell as the gateway's user, so it is refused whenever pairing is off (anyone who
 * can reach the port would get a shell): 403 before the upgrade, from the route's `admit` check.
 *
 * node-pty is optional and native: it is imported in `onStart`. When it is missing the start throws
 * `REVKA_ERR_TERMINAL_UNAVAILABLE`, the kernel marks this plugin `failed` (its route answers 503)
 * and every other plugin serves as usual.
 *
 * Bad input (an unknown `tool`, a CLI not on PATH, a `cwd` that is not a directory) is shown to the
 * user as a red line in the terminal, then the socket closes — a browser's WebSocket cannot read
 * the body of a refused upgrade, so an HTTP error there would be invisible.
 *
 * With `mcp_session` + `mcp_token` the program gets a per-connection temp HOME holding its CLI's
 * MCP config and the REVKA_MCP_* env vars (mcp-home.ts explains which server it points at). That
 * dir is removed when the PTY exits or the socket closes, and at stop. The two values are secrets:
 * nothing here logs the query.
 */
import { ConnectionCap, definePlugin, httpError } from '@revka/plugin-sdk'
import { loadPty, type PtySpawn } from './pty-loader.js'
import { openTerminal, red, type Terminal } from './session.js'
import { spawnSpec } from './spawn-spec.js'
import { createMcpHome, discoveryFile, mcpEnv, readMcpUrl, removeMcpHome, sweepStaleHomes } from './mcp-home.js'

interface TerminalOptions {
  pty_module?: string
  max_terminals?: number
  max_terminals_per_credential?: number
  /** where to read `.revka/mcp.json` (default: env REVKA_MCP_HOME, then the user's home) */
  mcp_home_dir?: string
}

const PAIRING_OFF = 'Terminal is disabled while pairing is off'
const STOP_WAIT_MS = 3000

export default definePlugin<TerminalOptions>({
  setup(api) {
    let spawn: PtySpawn | undefined
    const live = new Set<Terminal>()
    /** temp HOMEs of open MCP-wired terminals, removed at stop if their terminal did not get to it */
    const homes = new Set<string>()
    const max = api.config.max_terminals ?? 16
    // one token must not take every terminal: its next upgrade is refused with 429 (quota.ts)
    const perCredential = new ConnectionCap({ what: 'terminals', perCredential: api.config.max_terminals_per_credential ?? 4 })

    api.routes.add({
      method: 'GET',
      url: '/ws/terminal',
      auth: 'bearer',
      websocket: true,
      subprotocol: 'revka.v1',
      description: 'PTY over WebSocket; ?tool&cwd&mcp_session&mcp_token&cols&rows (contract §3.2); 403 while pairing is off',
      admit: (req) => {
        if (!api.gateway.requirePairing) throw httpError(403, 'terminal_disabled', PAIRING_OFF)
        if (live.size >= max) throw httpError(503, 'too_many_terminals', `At most ${max} terminals may be open at once`, { retryAfter: 5 })
        perCredential.admit(req)
      },
      handler: perCredential.guard((socket, req) => {
        // admit already refused this; checked again because a shell must never open without pairing
        if (!api.gateway.requirePairing) return socket.close(1008, PAIRING_OFF)
        const fail = (msg: string) => {
          socket.send(red(`Error: ${msg}`))
          socket.close(1000, 'terminal not started')
        }
        if (!spawn) return fail('the terminal is not available')
        const spec = spawnSpec(req.query, (name) => api.gateway.env(name))
        if ('error' in spec) return fail(spec.error)
        let home: string | undefined
        if (spec.mcp) {
          // read per connection: the mcp plugin (re)writes the file whenever its server binds
          const url = readMcpUrl(discoveryFile(api.config.mcp_home_dir, (name) => api.gateway.env(name)))
          if (!url) return fail('the MCP server is not available (is the mcp plugin running?)')
          const target = { url, ...spec.mcp }
          try {
            home = createMcpHome(spec.tool, target)
          } catch (e) {
            return fail(`could not prepare the MCP config: ${(e as Error).message}`)
          }
          Object.assign(spec.env, mcpEnv(home, target))
          homes.add(home)
        }
        const cleanup = () => {
          if (!home) return
          removeMcpHome(home)
          homes.delete(home)
        }
        let term: Terminal
        try {
          term = openTerminal(socket, spawn, spec, api.log)
        } catch (e) {
          cleanup()
          return fail(`could not start ${spec.file}: ${(e as Error).message}`)
        }
        live.add(term)
        // whichever comes first: a closed socket kills the PTY, but a PTY ignoring SIGHUP may take
        // seconds to die and its config (with the token) should not outlive the connection
        socket.on('close', cleanup)
        const opened = Date.now()
        void term.exited.then(() => {
          live.delete(term)
          cleanup()
          api.audit.record(
            {
              event_type: 'command_execution',
              action: { command: `terminal.close pid ${term.pid}`, risk_level: 'high' },
              result: { success: true, duration_ms: Date.now() - opened },
            },
            req,
          )
        })
        // a shell on the gateway's host is the most powerful thing a device can open: on the audit chain
        api.audit.record(
          { event_type: 'command_execution', action: { command: `terminal.open ${spec.file} pid ${term.pid}`, risk_level: 'high' }, result: { success: true } },
          req,
        )
        api.log.info({ pid: term.pid, file: spec.file, cwd: spec.cwd, mcp: Boolean(home), device: req.auth.deviceId }, 'terminal opened')
      }),
    })

    api.onStart(async () => {
      spawn = await loadPty(api.config.pty_module ?? 'node-pty')
      const swept = sweepStaleHomes()
      if (swept) api.log.info({ count: swept }, 'removed MCP temp homes left by an earlier gateway')
    })

    api.onStop(async () => {
      const all = [...live]
      for (const t of all) t.kill()
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.all(all.map((t) => t.exited)),
        new Promise<void>((r) => {
          timer = setTimeout(r, STOP_WAIT_MS)
        }),
      ])
      clearTimeout(timer)
      // a PTY that outlived the wait still loses its MCP config
      for (const h of homes) removeMcpHome(h)
      homes.clear()
    })
  },
})
