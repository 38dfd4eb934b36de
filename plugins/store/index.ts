/**
 * store — provides the `domain-store` service (DOMAIN.md §2): on embedded SQLite on a single node,
 * on the cluster's PostgreSQL when the kernel lends `shared-sql` (cluster mode, issue 18). Route
 * plugins reach it only through the SDK interface (`DomainStoreRef`) and never tell which.
 *
 * The database opens in setup, not onStart: the plugins that require the service may be asked
 * for data as soon as the gateway listens, and opening plus seeding takes milliseconds.
 */
import { definePlugin, domainProjects, DomainStoreRef, KernelServices } from '@revka/plugin-sdk'
import { storeLimits, type StoreOptions } from './limits.js'
import { seed } from './seed.js'
import { SqliteDomainStore } from './sqlite-store.js'

export default definePlugin<StoreOptions>({
  async setup(api) {
    const sql = api.services.find(KernelServices.sharedSql)
    if (sql) {
      // cluster mode, loaded only then; nothing to close: the pool is the kernel's
      const { PgDomainStore } = await import('./pg-store.js')
      const shared = await PgDomainStore.open(sql, api.store.dir, storeLimits(api.config))
      await seed(shared, domainProjects(api.gateway))
      api.services.provide(DomainStoreRef, shared)
      return
    }
    const store = await SqliteDomainStore.open(api.store.dir, storeLimits(api.config))
    try {
      await seed(store, domainProjects(api.gateway))
    } catch (e) {
      store.close()
      throw e
    }
    api.services.provide(DomainStoreRef, store)
    api.onStop(() => store.close())
  },
})
