/**
 * store — provides the `domain-store` service (DOMAIN.md §2) on embedded SQLite. Route plugins
 * reach it only through the SDK interface (`DomainStoreRef`), which is where a networked backend
 * (PostgreSQL, cluster mode) can stand in without touching them.
 *
 * The database opens in setup, not onStart: the plugins that require the service may be asked
 * for data as soon as the gateway listens, and opening plus seeding takes milliseconds.
 */
import { definePlugin, domainProjects, DomainStoreRef } from '@revka/plugin-sdk'
import { storeLimits, type StoreOptions } from './limits.js'
import { seed } from './seed.js'
import { SqliteDomainStore } from './sqlite-store.js'

export default definePlugin<StoreOptions>({
  async setup(api) {
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
