/**
 * The scoped `api` a plugin's setup receives, bound to its id: logger child, validated options,
 * its own store, route declarations, named hook taps, declared services, start/stop callbacks.
 * Every registration returns a disposer, and the kernel runs the remaining ones at stop.
 */
import type { DependencyContainer } from 'tsyringe'
import type { Logger as Pino } from 'pino'
import type { AuditActor, AuditInput, Disposer, EventBus, GatewayInfo, Logger, PluginApi, PluginStore, RevkaRequest, ServiceRef } from '@revka/plugin-sdk'
import { RevkaError } from '@revka/plugin-sdk'
import { scopedTaps, type HookTable } from '../hooks/table.js'
import type { RouteTable, RouteRecord } from '../http/route-table.js'
import { pluginStore } from '../store/plugin-store.js'
import type { PluginRecord } from './record.js'
import type { ResourceScope } from './resource-scope.js'

/** A service slot in the container; plugins provide into it and the slot outlives a disposal. */
export class ServiceSlot<T = unknown> {
  value: T | undefined
  constructor(readonly name: string) {}
}

export const serviceToken = (name: string) => `revka.service:${name}`

export interface FacadeDeps {
  hooks: HookTable
  routes: RouteTable
  /** false once the server is listening: routes must be declared in setup */
  routesOpen: () => boolean
  onRoute: (rec: RouteRecord) => void
  container: DependencyContainer
  /** what `api.own` hands its resources to (released with the container) */
  scope: ResourceScope
  log: Pino
  gateway: GatewayInfo
  pluginsStateDir: string
  signUrl: (path: string, ttlSecs?: number, subject?: string) => string
  events: EventBus
  audit: { record(input: AuditInput, actor: AuditActor | null): boolean }
}

/** `actor.user_id` of a request: the device, or the kind of credential that let it in */
function auditUser(req: Pick<RevkaRequest, 'auth'>): string {
  const a = req.auth
  return a.deviceId ?? (a.via === 'bearer' && a.credentialId ? a.credentialId : a.via)
}

export function createFacade(rec: PluginRecord, deps: FacadeDeps): PluginApi<any> {
  const m = rec.manifest!
  const track = (d: Disposer): Disposer => {
    let done = false
    const once = () => {
      if (done) return
      done = true
      rec.disposers = rec.disposers.filter((x) => x !== once)
      d()
    }
    rec.disposers.push(once)
    return once
  }
  let store: PluginStore | undefined
  // slots are stable objects: resolve each once, not on every request
  const slots = new Map<string, ServiceSlot<any>>()
  const slot = <T>(id: string): ServiceSlot<T> => {
    let s = slots.get(id)
    if (!s) slots.set(id, (s = deps.container.resolve<ServiceSlot<T>>(serviceToken(id))))
    return s
  }
  const api: PluginApi<any> = {
    id: rec.id,
    log: deps.log.child({ plugin: rec.id }) as unknown as Logger,
    config: Object.freeze(rec.options),
    gateway: deps.gateway,
    get store() {
      store ??= pluginStore(`${deps.pluginsStateDir}/${rec.id}`)
      return store
    },
    routes: <PluginApi['routes']>{
      add(route: any): Disposer {
        if (!deps.routesOpen()) {
          throw new RevkaError('REVKA_ERR_ROUTE_LATE', `plugin ${rec.id} added ${route.url} after the gateway started listening; declare routes in setup()`)
        }
        // the kernel reads a route's secret from the env for the plugin: the same rule as
        // api.gateway.env (declared in the manifest, never a kernel variable); throws otherwise
        const secretEnv = (route as { secret?: { env?: string } }).secret?.env
        if (secretEnv) deps.gateway.env(secretEnv)
        const r = deps.routes.add(rec.id, route)
        deps.onRoute(r)
        return track(() => {
          r.disposed = true
        })
      },
    },
    hooks: scopedTaps(deps.hooks, rec.id, track),
    events: {
      emit: (type: string, fields: Record<string, unknown>) => deps.events.emit(type, fields),
      subscribe: (fn) => track(deps.events.subscribe(fn)),
      since: (id) => deps.events.since(id),
      get lastId() {
        return deps.events.lastId
      },
    } as EventBus,
    services: {
      get<T>(ref: ServiceRef<T>): T {
        if (!(m.requires ?? []).includes(ref.id)) {
          throw new RevkaError(
            'REVKA_ERR_SERVICE_UNDECLARED',
            `plugin ${rec.id} asked for service "${ref.id}" without listing it under "requires" in revka.plugin.json`,
          )
        }
        const found = slot<T>(ref.id)
        if (found.value === undefined) {
          throw new RevkaError(
            'REVKA_ERR_SERVICE_UNAVAILABLE',
            `service "${ref.id}" required by ${rec.id} has not been provided (its provider failed or has not set it up)`,
          )
        }
        return found.value
      },
      find<T>(ref: ServiceRef<T>): T | undefined {
        if (!(m.uses ?? []).includes(ref.id) && !(m.requires ?? []).includes(ref.id)) {
          throw new RevkaError(
            'REVKA_ERR_SERVICE_UNDECLARED',
            `plugin ${rec.id} looked for service "${ref.id}" without listing it under "uses" in revka.plugin.json`,
          )
        }
        return slot<T>(ref.id).value
      },
      provide<T>(ref: ServiceRef<T>, impl: T): Disposer {
        if (!(m.provides ?? []).includes(ref.id)) {
          throw new RevkaError(
            'REVKA_ERR_SERVICE_UNDECLARED',
            `plugin ${rec.id} provides service "${ref.id}" without listing it under "provides" in revka.plugin.json`,
          )
        }
        const target = slot<T>(ref.id)
        target.value = impl
        return track(() => {
          if (target.value === impl) target.value = undefined
        })
      },
    },
    onStart(fn) {
      rec.startFns.push(fn)
      return track(() => {
        rec.startFns = rec.startFns.filter((f) => f !== fn)
      })
    },
    onStop(fn) {
      rec.stopFns.push(fn)
      // stop callbacks are not disposers: they must still run at stop
      return () => {
        rec.stopFns = rec.stopFns.filter((f) => f !== fn)
      }
    },
    own: (resource) => deps.scope.own(resource),
    signUrl: (path, ttlSecs, options) => deps.signUrl(path, ttlSecs, options?.subject),
    audit: Object.freeze({
      // the channel is the plugin's id whatever it passes: no plugin records in another's name
      record: (input: AuditInput, req?: Pick<RevkaRequest, 'auth' | 'clientKey'>) =>
        deps.audit.record(input, {
          channel: rec.id,
          user_id: req ? auditUser(req) : (input.actor?.user_id ?? null),
          username: req ? req.clientKey : (input.actor?.username ?? null),
        }),
    }),
  }
  return Object.freeze(api)
}
