/** `defineChannel`: declare the calling plugin a channel (see `channels.ts` for the seam). */
import type { PluginApi } from './define.js'
import type { ChannelDescriptor } from './channels.js'
import type { Disposer } from './types.js'

/**
 * Declare this plugin a channel: it appears in `GET /api/channels` and can receive cron
 * deliveries (when `send` is given). Call in `setup`; the disposer removes it.
 */
export function defineChannel(api: PluginApi<any>, descriptor: Omit<ChannelDescriptor, 'plugin'>): Disposer {
  const d: ChannelDescriptor = { ...descriptor, plugin: api.id }
  return api.hooks.channels.tap((list) => {
    list.push(d)
    return list
  })
}
