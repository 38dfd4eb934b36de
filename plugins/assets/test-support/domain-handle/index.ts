/** Test fixture: publishes the domain-store service on a global symbol once the gateway starts. */
import { DomainStoreRef, definePlugin } from '@revka/plugin-sdk'

export const HANDLE = Symbol.for('revka.test.domain-store')

export default definePlugin({
  setup(api) {
    api.onStart(() => {
      ;(globalThis as any)[HANDLE] = api.services.get(DomainStoreRef)
    })
    api.onStop(() => {
      delete (globalThis as any)[HANDLE]
    })
  },
})
