/**
 * Enabling and disabling a plugin while the gateway runs (`revka plugins enable|disable`, through
 * the kernel's loopback route POST /admin/plugins/:id/enable|disable).
 *
 * Disable: refused while another running plugin requires a service it provides (the answer names
 * them) or when it is essential. Otherwise its routes answer 503 `plugin_disabled` from then on, its
 * own live WebSockets (close 4404) and streams (a final `plugin_disabled` event) are ended — every
 * other plugin's stay open — and its running handlers get the drain time to finish. Then its stop
 * path runs, as at shutdown (plugin-phases.ts stopPlugin): stop callbacks, the disposers of
 * everything it registered — routes (404 from then on), hook taps, services, subscriptions — then
 * what it owns (`api.own`: its DI container's dispose).
 *
 * Enable: the same checks as a start (mode, API compatibility, options from the plugins file as it
 * is now), plus every required service must have a running provider. Then import (once), setup,
 * its routes on an instance of their own (kernel/http/runtime-routes.ts), start. A failure at any
 * step undoes the earlier ones and leaves the plugin disabled with the diagnostic.
 *
 * Either way the plugins file is rewritten atomically (only after the change took effect) and the
 * change is an audit entry. One change at a time: a second one meanwhile is refused (409).
 */
import type { Logger } from 'pino'
import { httpError, PLUGIN_API_VERSION, RevkaError } from '@revka/plugin-sdk'
import { compatibility, validateOptions } from '../registry/manifest.js'
import { readPluginsFile, setEnabled } from '../registry/plugins-file.js'
import type { PluginRecord } from '../registry/record.js'
import type { RouteRecord } from '../http/route-table.js'
import type { AuditLog } from '../audit/audit-log.js'
import { importPlugin, startPlugin, stopPlugin, type PhaseContext } from './plugin-phases.js'

export interface SwitchHost {
  log: Logger
  mode: 'gateway' | 'daemon'
  records(): PluginRecord[]
  /** the plugin's routes that are not disposed */
  routesOf(id: string): RouteRecord[]
  kernelServiceNames: string[]
  phases: PhaseContext
  /** how long running handlers get to finish, ms */
  drainMs: number
  /** the plugins file's path; undefined when the kernel runs on an in-memory document (tests) */
  pluginsFilePath?: string
  /** options given besides the file (the test harness) */
  extraOptions(id: string): Record<string, unknown> | undefined
  /** set the plugin up with a fresh api; resolves with the routes it declared */
  setup(r: PluginRecord): Promise<RouteRecord[]>
  /** mount those routes (an instance of their own) */
  mount(r: PluginRecord, routes: RouteRecord[]): Promise<void>
  unmount(r: PluginRecord): Promise<void>
  /** end the plugin's live WebSockets and streams; returns how many */
  endConnections(id: string): number
  /** the plugin now runs: stop it with the others at shutdown */
  started(r: PluginRecord): void
  audit(command: string, success: boolean, detail?: string): void
}

export interface SwitchResult {
  success: true
  id: string
  enabled: boolean
  status: string
  /** false when it already was in the asked state */
  changed: boolean
  message: string
  /** the plugins file the gateway rewrote (null: nothing written) */
  plugins_file: string | null
  /** disable: its WebSockets and streams that were ended */
  connections_ended?: number
  /** disable: its handlers still running when the drain time ran out (left to finish on their own) */
  requests_unfinished?: number
}

const RUNNING = new Set(['loaded', 'starting', 'started'])

/** each enable or disable is a config_change in the audit log, failed or not */
export function switchAudit(audit: { record: AuditLog['record'] }): SwitchHost['audit'] {
  return (command, success, detail) => {
    // the detail (what failed, how many connections ended) goes in the command: the entry has no free-text field
    audit.record(
      {
        event_type: 'config_change',
        action: { command: detail ? `${command} (${detail})` : command, risk_level: 'medium' },
        result: { success, error: success ? null : (detail ?? null) },
      },
      { channel: 'gateway', user_id: null, username: null },
    )
  }
}

export class PluginSwitch {
  private busy = false
  constructor(private readonly host: SwitchHost) {}

  private find(id: string): PluginRecord {
    const r = this.host.records().find((x) => x.id === id && x.manifest)
    if (!r) throw httpError(404, 'plugin_not_found', `No plugin "${id}" (see revka plugins list)`)
    return r
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw httpError(409, 'change_in_progress', 'Another plugin is being enabled or disabled; try again when it is done')
    this.busy = true
    try {
      return await fn()
    } finally {
      this.busy = false
    }
  }

  /** running plugins that require a service `r` provides */
  dependentsOf(r: PluginRecord): PluginRecord[] {
    const provides = new Set(r.manifest!.provides ?? [])
    if (!provides.size) return []
    return this.host.records().filter((x) => x !== r && x.enabled && RUNNING.has(x.status) && (x.manifest?.requires ?? []).some((s) => provides.has(s)))
  }

  disable(id: string): Promise<SwitchResult> {
    return this.exclusive(async () => {
      const r = this.find(id)
      if (!r.enabled || !RUNNING.has(r.status)) return this.result(r, false, `${id} is not running (${r.status})`, this.writeFile(id, false))
      if (r.essential) throw httpError(409, 'plugin_essential', `Plugin ${id} is essential: the gateway does not run without it`)
      const dependents = this.dependentsOf(r)
      if (dependents.length) {
        const names = dependents.map((d) => d.id)
        throw httpError(409, 'plugin_required', `Plugin ${id} is required by ${names.join(', ')}; disable ${names.length > 1 ? 'them' : 'it'} first`, {
          extra: { dependents: names },
        })
      }
      // from here its routes answer 503 plugin_disabled (the gatekeeper reads the status)
      r.set('disabled', 'being disabled: draining')
      // streams and sockets first: a handler that awaits its stream's end would hold the drain
      const ended = this.host.endConnections(id)
      const stillRunning = await this.drain(r)
      await this.teardown(r)
      r.set('disabled', 'disabled at runtime')
      const file = this.writeFile(id, false)
      const notes = [
        ...(ended ? [`${ended} live connection(s) ended`] : []),
        ...(stillRunning ? [`${stillRunning} request(s) still running after ${this.host.drainMs} ms`] : []),
      ]
      this.host.audit(`plugin.disable ${id}`, true, notes.join(', ') || undefined)
      return {
        ...this.result(r, true, `${id} disabled: its routes are gone${notes.length ? ` (${notes.join(', ')})` : ''}`, file),
        connections_ended: ended,
        requests_unfinished: stillRunning,
      }
    })
  }

  enable(id: string): Promise<SwitchResult> {
    return this.exclusive(async () => {
      const r = this.find(id)
      if (r.enabled && RUNNING.has(r.status)) return this.result(r, false, `${id} is already running`, this.writeFile(id, true))
      const m = r.manifest!
      const modes = m.modes ?? ['gateway', 'daemon']
      if (!modes.includes(this.host.mode)) throw httpError(409, 'plugin_unavailable_in_mode', `Plugin ${id} runs only in ${modes.join('/')} mode`)
      const incompatible = compatibility(m, PLUGIN_API_VERSION)
      if (incompatible) throw httpError(409, 'plugin_incompatible', incompatible)
      const fileOptions = this.host.pluginsFilePath ? readPluginsFile(this.host.pluginsFilePath).plugins[id]?.options : undefined
      const v = validateOptions(m, { ...(fileOptions ?? r.options ?? {}), ...(this.host.extraOptions(id) ?? {}) })
      if (!v.ok) throw httpError(409, 'plugin_invalid_options', v.error)
      this.checkRequirements(r)

      if (!r.module) {
        await importPlugin(r, this.host.phases)
        if (!r.module) return this.refuseFailed(r, `import failed: ${r.diagnostic}`)
      }
      r.enabled = true
      r.options = v.value
      r.startFns = []
      r.stopFns = []
      r.disposers = []
      r.set('loaded')
      let routes: RouteRecord[]
      try {
        routes = await this.host.setup(r)
        if (r.status === 'failed') throw new RevkaError('REVKA_ERR_PLUGIN_SETUP', r.diagnostic ?? 'setup failed')
        if (routes.some((x) => x.decl.fallback)) {
          throw new RevkaError(
            'REVKA_ERR_RUNTIME_FALLBACK',
            `plugin ${id} serves the fallback page, which only a start mounts; it is enabled in the plugins file: restart the gateway`,
          )
        }
        await this.host.mount(r, routes)
        await startPlugin(r, this.host.phases)
        if (r.status !== 'started') throw new RevkaError('REVKA_ERR_PLUGIN_START', r.diagnostic ?? 'start failed')
      } catch (e) {
        await this.undo(r)
        if ((e as RevkaError).code === 'REVKA_ERR_RUNTIME_FALLBACK') {
          r.set('disabled', 'enabled in the plugins file: restart the gateway to start it')
          const file = this.writeFile(id, true)
          this.host.audit(`plugin.enable ${id}`, true, 'at the next start (serves the fallback page)')
          throw httpError(409, 'restart_required', (e as Error).message, { extra: { plugins_file: file } })
        }
        return this.refuseFailed(r, (e as Error).message)
      }
      this.host.started(r)
      const file = this.writeFile(id, true)
      this.host.audit(`plugin.enable ${id}`, true, routes.length ? `${routes.length} route(s)` : undefined)
      return this.result(r, true, `${id} enabled: started, ${routes.length} route(s) mounted`, file)
    })
  }

  /** every required service has a running provider (or is the kernel's), and no service is provided twice */
  private checkRequirements(r: PluginRecord): void {
    const running = this.host.records().filter((x) => x !== r && x.enabled && RUNNING.has(x.status))
    const providerOf = (s: string) => running.find((x) => (x.manifest?.provides ?? []).includes(s))
    const missing: Array<{ service: string; provider: string | null }> = []
    for (const s of r.manifest!.requires ?? []) {
      if (this.host.kernelServiceNames.includes(s) || providerOf(s)) continue
      const candidate = this.host.records().find((x) => x !== r && (x.manifest?.provides ?? []).includes(s))
      missing.push({ service: s, provider: candidate?.id ?? null })
    }
    if (missing.length) {
      const text = missing
        .map((x) => `"${x.service}" (${x.provider ? `provided by ${x.provider}, which is not running: enable it first` : 'no plugin provides it'})`)
        .join(', ')
      throw httpError(409, 'plugin_requirements', `Plugin ${r.id} requires ${text}`, { extra: { missing } })
    }
    for (const s of r.manifest!.provides ?? []) {
      const other = providerOf(s)
      if (other) throw httpError(409, 'plugin_conflict', `Plugin ${r.id} provides "${s}", which ${other.id} already provides; disable ${other.id} first`)
    }
  }

  /** wait until no handler of the plugin runs, at most drainMs; how many still run */
  private async drain(r: PluginRecord): Promise<number> {
    const routes = this.host.routesOf(r.id)
    const busy = routes.filter((x) => x.inflight > 0)
    if (busy.length) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.all(
          busy.map(
            (x) =>
              new Promise<void>((res) => {
                x.onIdle = res
              }),
          ),
        ),
        new Promise<void>((res) => {
          timer = setTimeout(res, this.host.drainMs)
          timer.unref()
        }),
      ])
      clearTimeout(timer)
    }
    for (const x of routes) x.onIdle = undefined
    return routes.reduce((n, x) => n + x.inflight, 0)
  }

  /** stop callbacks, disposers (routes 404 from then on), what it owns (its container), its instance */
  private async teardown(r: PluginRecord): Promise<void> {
    await stopPlugin(r, this.host.phases)
    // a later enable runs setup afresh: nothing of this run may be run or disposed twice
    r.startFns = []
    r.stopFns = []
    r.disposers = []
    r.enabled = false
    await this.host.unmount(r)
  }

  /** undo a half-done enable; the caller says why */
  private async undo(r: PluginRecord): Promise<void> {
    this.host.endConnections(r.id)
    await this.teardown(r)
  }

  private refuseFailed(r: PluginRecord, why: string): never {
    r.enabled = false
    r.set('disabled', `enable failed: ${why}`)
    this.host.audit(`plugin.enable ${r.id}`, false, why)
    throw httpError(500, 'plugin_enable_failed', `Plugin ${r.id} could not be enabled: ${why}`)
  }

  /**
   * The plugins file with the new state, written atomically (temp file + rename: a reader sees the
   * old file or the new one, never half); its path, or null when there is none. Written after the
   * change took effect: a file that cannot be written is a 500 that says the gateway already runs
   * the new state and the next start will not.
   */
  private writeFile(id: string, enabled: boolean): string | null {
    const path = this.host.pluginsFilePath
    if (!path) return null
    try {
      const file = readPluginsFile(path)
      const entry = file.plugins[id]
      // already says so: no write
      if (entry && (entry.enabled !== false) === enabled) return path
      setEnabled(file, id, enabled)
    } catch (e) {
      this.host.log.error({ plugin: id, err: (e as Error).message }, 'REVKA_ERR_PLUGINS_FILE: could not record a runtime enable/disable')
      throw httpError(
        500,
        'plugins_file_write_failed',
        `Plugin ${id} is ${enabled ? 'enabled' : 'disabled'} now, but ${path} could not be updated (${(e as Error).message}); the next start will not keep it`,
      )
    }
    return path
  }

  private result(r: PluginRecord, changed: boolean, message: string, file: string | null): SwitchResult {
    return { success: true, id: r.id, enabled: r.enabled, status: r.status, changed, message, plugins_file: file }
  }
}
