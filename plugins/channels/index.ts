/**
 * channels — `GET /api/channels` (DOMAIN.md §19). The reference lists every channel type it knows
 * with static fields (`message_count: 0`, `last_message_at: null`, health derived from config);
 * we list the channels that are actually enabled here, each with what it measures: whether its
 * credentials are configured, whether its route is receiving, and the inbound message count and
 * last message time from its journal — in cluster mode from PostgreSQL (the descriptor's
 * `counts()`), so every node answers the same.
 */
import { definePlugin, isHttpError, KernelServices, type ChannelDescriptor, type ChannelStatus } from '@revka/plugin-sdk'

export default definePlugin({
  setup(api) {
    /**
     * A channel's status, with the counts from where they are kept (cluster mode: PostgreSQL, so
     * every node reports the same). A lost engine is the route's 503; any other failure is logged
     * and the channel listed as down (or with this node's counts).
     */
    async function statusOf(c: ChannelDescriptor): Promise<ChannelStatus> {
      let st: ChannelStatus
      try {
        st = c.status()
      } catch (e) {
        api.log.warn({ channel: c.id, plugin: c.plugin, err: (e as Error).message }, 'channel status failed')
        return { configured: false, receiving: false, message_count: 0, last_message_at: null }
      }
      if (!c.counts) return st
      try {
        return { ...st, ...(await c.counts()) }
      } catch (e) {
        if (isHttpError(e) && e.statusCode === 503) throw e
        api.log.warn({ channel: c.id, plugin: c.plugin, err: (e as Error).message }, 'channel counts failed')
        return st
      }
    }

    api.routes.add({
      method: 'GET',
      url: '/api/channels',
      auth: 'bearer',
      description: 'enabled channel plugins with status, health and message counts',
      handler: async () => {
        const list = await api.services.get(KernelServices.channels).list()
        const statuses = await Promise.all(list.map(statusOf))
        return {
          channels: list.map((c, i) => {
            const st = statuses[i]
            return {
              id: c.id,
              name: c.id,
              type: c.id,
              display_name: c.display_name,
              plugin: c.plugin,
              enabled: st.configured,
              configured: st.configured,
              receiving: st.receiving,
              status: st.receiving ? 'active' : 'inactive',
              health: st.receiving ? 'healthy' : 'down',
              message_count: st.message_count,
              last_message_at: st.last_message_at,
              notify_capable: st.configured && typeof c.send === 'function',
              notification_target_configured: c.notificationTargetConfigured === true,
            }
          }),
        }
      },
    })
  },
})
