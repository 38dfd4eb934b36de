/**
 * A plugin's resource scope: what it handed to `api.own` (timers, sockets, servers, databases).
 * One per plugin, made by that plugin's tsyringe child container (container-scoped), so disposing
 * the container — at stop, and when the plugin is disabled at runtime — releases them: tsyringe
 * disposes the Disposable instances it constructed.
 */
import { Lifecycle, type DependencyContainer } from 'tsyringe'
import type { OwnedResource } from '@revka/plugin-sdk'

export const RESOURCE_SCOPE = 'revka.resource-scope'

function release(r: OwnedResource): unknown {
  const o = r as unknown as Record<string, unknown>
  // a Node timer, interval or timeout: Node clears either with either call, a mocked clock
  // (node:test MockTimers) only with the matching one
  if (typeof o.refresh === 'function' && typeof o.hasRef === 'function') {
    clearInterval(r as NodeJS.Timeout)
    return clearTimeout(r as NodeJS.Timeout)
  }
  for (const m of ['dispose', 'close', 'destroy']) if (typeof o[m] === 'function') return (o[m] as () => unknown).call(r)
  return undefined
}

export class ResourceScope {
  private owned: OwnedResource[] = []
  private released = false
  /** problems releasing (a close that threw): the kernel logs them */
  onError?: (e: Error) => void

  own<T extends OwnedResource>(resource: T): T {
    const o = resource as unknown as Record<string, unknown> | null
    const releasable = !!o && typeof o === 'object' && ['refresh', 'dispose', 'close', 'destroy'].some((m) => typeof o[m] === 'function')
    if (!releasable) throw new TypeError('api.own: pass a timer or an object with dispose(), close() or destroy()')
    // owned after the scope was released (a late callback): release it at once, never leak it
    if (this.released) void this.releaseOne(resource)
    else this.owned.push(resource)
    return resource
  }

  private async releaseOne(r: OwnedResource): Promise<void> {
    try {
      await release(r)
    } catch (e) {
      this.onError?.(e as Error)
    }
  }

  /** newest first; called by the child container's dispose (once: a second call finds nothing) */
  async dispose(): Promise<void> {
    this.released = true
    const all = this.owned.reverse()
    this.owned = []
    for (const r of all) await this.releaseOne(r)
  }
}

/**
 * A plugin's child container with its resource scope registered and made. Disposing the container
 * releases the scope; `release` is that dispose, for the stop path.
 */
export function pluginContainer(
  parent: DependencyContainer,
  onError: (e: Error) => void,
): { container: DependencyContainer; scope: ResourceScope; release: () => Promise<void> } {
  const container = parent.createChildContainer()
  container.register(RESOURCE_SCOPE, { useClass: ResourceScope }, { lifecycle: Lifecycle.ContainerScoped })
  const scope = container.resolve<ResourceScope>(RESOURCE_SCOPE)
  scope.onError = onError
  return {
    container,
    scope,
    release: async () => {
      await container.dispose()
    },
  }
}
