/**
 * The plugin set of one kernel: which records there are, in which waves they start, and how each
 * is set up — the DI container with a slot per service, one child container per plugin (what it
 * owns is released with it), the facade each `setup(api)` receives, and the routes setups declared
 * that are not mounted yet. The kernel decides when (boot, listen, stop); this decides how.
 */
import { container as rootContainer, type DependencyContainer } from 'tsyringe'
import { KernelServices, RevkaError, type GatewayInfo, type ServiceRef } from '@revka/plugin-sdk'
import { createFacade, ServiceSlot, serviceToken, type FacadeDeps } from '../registry/facade.js'
import { pluginContainer } from '../registry/resource-scope.js'
import type { PluginRecord } from '../registry/record.js'
import type { RouteRecord } from '../http/route-table.js'
import { orderPlugins } from '../registry/order.js'
import { guarded } from './guarded.js'
import { resolvePluginSet, type PluginSetInput } from './plugin-set.js'
import { importPlugin, startPlugin, stopPlugin, type PhaseContext } from './plugin-phases.js'

export const KERNEL_SERVICE_NAMES = Object.values(KernelServices).map((s) => s.id)

export interface PluginHostDeps extends Pick<FacadeDeps, 'hooks' | 'routes' | 'log' | 'pluginsStateDir' | 'signUrl' | 'events' | 'audit'> {
  /** after listen, only a plugin being enabled at runtime may still add routes */
  listening: () => boolean
  gatewayInfo: (r: PluginRecord) => GatewayInfo
  phases: PhaseContext
}

export class PluginHost {
  records: PluginRecord[] = []
  /** O(1) plugin lookup on the request path; the first record of an id wins */
  private byId = new Map<string, PluginRecord>()
  private waves: PluginRecord[][] = []
  private readonly container: DependencyContainer = rootContainer.createChildContainer()
  private readonly pluginContainers = new Map<string, DependencyContainer>()
  /** routes declared by setups and not mounted yet */
  private pending: RouteRecord[] = []
  /** the plugin being set up at runtime: the one that may still add routes */
  private enabling?: string

  constructor(private readonly deps: PluginHostDeps) {}

  get phases(): PhaseContext {
    return this.deps.phases
  }

  get(id: string): PluginRecord | undefined {
    return this.byId.get(id)
  }

  /** discover what the plugins file and the folders hold; a later duplicate id is only reported, never imported */
  resolve(input: PluginSetInput): void {
    this.records = resolvePluginSet(input)
    this.byId = new Map()
    for (const r of this.records) if (r.manifest && !this.byId.has(r.id)) this.byId.set(r.id, r)
  }

  /** order into waves, give every service a slot, import (file I/O overlaps), then set up in dependency order */
  async setUpAll(): Promise<void> {
    const { waves } = orderPlugins(this.records, KERNEL_SERVICE_NAMES)
    for (const r of waves.flat()) this.ensureSlots(r, ['provides'])
    for (const r of this.records) this.ensureSlots(r, ['requires', 'uses'])
    this.waves = waves
    await Promise.all(waves.flat().map((r) => importPlugin(r, this.phases)))
    for (const wave of waves) for (const r of wave) if (r.status === 'loaded') await this.setup(r)
    this.cascadeFailures()
  }

  /** start wave by wave; a failure takes its dependents down before the next wave */
  async startAll(): Promise<void> {
    for (const wave of this.waves) {
      await Promise.all(wave.filter((r) => r.status === 'loaded').map((r) => startPlugin(r, this.phases)))
      this.cascadeFailures()
    }
    this.abortOnEssentialFailure()
  }

  /** stop in reverse order: a plugin stops before what it depends on */
  async stopAll(): Promise<void> {
    for (const wave of [...this.waves].reverse()) {
      for (const r of [...wave].reverse()) await stopPlugin(r, this.phases)
    }
  }

  /** a plugin enabled at runtime starts and stops with the rest from now on */
  adopt(r: PluginRecord): void {
    if (!this.waves.some((w) => w.includes(r))) this.waves.push([r])
  }

  /** a provider that failed takes its dependents down with it */
  cascadeFailures(): void {
    orderPlugins(this.records, KERNEL_SERVICE_NAMES)
  }

  abortOnEssentialFailure(): void {
    const dead = this.records.find((r) => r.essential && r.enabled && (r.status === 'failed' || r.status === 'incompatible'))
    if (dead) throw new RevkaError('REVKA_ERR_ESSENTIAL_PLUGIN', `essential plugin ${dead.id} is ${dead.status}: ${dead.diagnostic}`)
  }

  /** the kernel's own services, filled before any plugin is set up */
  provideKernelServices(services: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(services)) {
      const slot = new ServiceSlot(name)
      slot.value = value
      this.container.register(serviceToken(name), { useValue: slot })
    }
  }

  /** an empty slot for each service a plugin provides, requires or uses; its provider fills it at start */
  ensureSlots(r: PluginRecord, kinds: ('provides' | 'requires' | 'uses')[]): void {
    for (const kind of kinds)
      for (const s of r.manifest?.[kind] ?? []) {
        if (!this.container.isRegistered(serviceToken(s))) this.container.register(serviceToken(s), { useValue: new ServiceSlot(s) })
      }
  }

  service<T>(ref: ServiceRef<T>): T | undefined {
    const token = serviceToken(ref.id)
    return this.container.isRegistered(token) ? (this.container.resolve(token) as ServiceSlot<T>).value : undefined
  }

  addKernelRoute(rec: RouteRecord): void {
    this.pending.push(rec)
  }

  /** the routes to mount now; they leave the pending list */
  takePending(pluginId?: string): RouteRecord[] {
    const taken = this.pending.filter((x) => pluginId === undefined || x.pluginId === pluginId)
    this.pending = pluginId === undefined ? [] : this.pending.filter((x) => x.pluginId !== pluginId)
    return taken
  }

  async setup(r: PluginRecord): Promise<void> {
    const d = this.deps
    const timeout = r.manifest!.startTimeoutMs ?? d.phases.defaultTimeoutMs
    const {
      container: child,
      scope,
      release,
    } = pluginContainer(this.container, (e) => d.log.warn({ plugin: r.id, err: e.message }, 'releasing an owned resource failed'))
    this.pluginContainers.set(r.id, child)
    r.release = release
    const api = createFacade(r, {
      hooks: d.hooks,
      routes: d.routes,
      routesOpen: () => !d.listening() || this.enabling === r.id,
      onRoute: (rec) => this.pending.push(rec),
      container: child,
      scope,
      log: d.log,
      gateway: d.gatewayInfo(r),
      pluginsStateDir: d.pluginsStateDir,
      signUrl: d.signUrl,
      events: d.events,
      audit: d.audit,
    })
    child.register('revka.plugin-api', { useValue: api })
    const t1 = performance.now()
    const setup = await guarded(`setup of ${r.id}`, timeout, () => r.module!.setup(api))
    if (!setup.ok) r.fail(setup.error)
    r.timings.setupMs = Math.round(performance.now() - t1)
    d.log.debug({ plugin: r.id, setupMs: r.timings.setupMs }, 'plugin set up')
  }

  /** `revka plugins enable` on a running gateway: set up again from scratch; the routes it declared */
  async setupAtRuntime(r: PluginRecord): Promise<RouteRecord[]> {
    this.ensureSlots(r, ['provides', 'requires', 'uses'])
    // what a failed earlier run of it owned (stopPlugin released a stopped one's already)
    await this.pluginContainers.get(r.id)?.dispose()
    this.enabling = r.id
    try {
      await this.setup(r)
    } finally {
      this.enabling = undefined
    }
    return this.takePending(r.id)
  }
}
