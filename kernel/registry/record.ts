/** The kernel's bookkeeping for one discovered plugin. */
import type { DefinedPlugin, PluginInfo, PluginManifest, PluginStatus, Disposer } from '@revka/plugin-sdk'

export type PluginSource = 'builtin' | 'path' | 'npm'

// bumped on every change a status reader can see, so readers cache by one number instead of
// rescanning every record on every request (that scan made /api/status cost grow with plugins)
let version = 0
/** changes whenever any record's status, diagnostic or last error changes */
export function recordsVersion(): number {
  return version
}

export class PluginRecord {
  status: PluginStatus = 'discovered'
  diagnostic?: string
  enabled = false
  options: Record<string, unknown> = {}
  module?: DefinedPlugin<any>
  startFns: Array<() => void | Promise<void>> = []
  stopFns: Array<() => void | Promise<void>> = []
  disposers: Disposer[] = []
  /** releases what the plugin owns (`api.own`): its child container's dispose, set at setup */
  release?: () => Promise<void>
  updatedAt = new Date().toISOString()
  lastOk: string | null = null
  lastError: string | null = null
  restartCount = 0
  /** ms each phase took at the last start (`GET /api/plugins`) */
  timings: { importMs: number | null; setupMs: number | null; startMs: number | null } = { importMs: null, setupMs: null, startMs: null }

  constructor(
    readonly id: string,
    readonly dir: string,
    readonly source: PluginSource,
    readonly manifest: PluginManifest | null,
  ) {}

  get essential(): boolean {
    return this.manifest?.essential === true
  }

  get viable(): boolean {
    return this.enabled && this.status !== 'failed' && this.status !== 'incompatible' && this.status !== 'disabled'
  }

  set(status: PluginStatus, diagnostic?: string): void {
    version++
    this.status = status
    this.diagnostic = diagnostic
    const now = new Date().toISOString()
    this.updatedAt = now
    if (status === 'started') this.lastOk = now
    if (status === 'failed') this.lastError = diagnostic ?? 'failed'
  }

  /** a failure that does not change the status (a hook tap, a stop function) */
  noteError(message: string): void {
    version++
    this.lastError = message
  }

  fail(diagnostic: string): void {
    this.set('failed', diagnostic)
  }

  info(): PluginInfo {
    return {
      id: this.id,
      version: this.manifest?.version ?? '?',
      api: this.manifest?.api ?? '?',
      source: this.source,
      dir: this.dir,
      enabled: this.enabled,
      status: this.status,
      diagnostic: this.diagnostic,
      essential: this.essential,
      updatedAt: this.updatedAt,
      lastOk: this.lastOk,
      lastError: this.lastError,
      restartCount: this.restartCount,
    }
  }
}
