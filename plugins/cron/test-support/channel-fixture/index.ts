/** Test fixture: a third-party style channel; what it is sent lands in globalThis.__revkaFixtureSent. */
import { defineChannel, definePlugin } from '@revka/plugin-sdk'

export interface Sent {
  to: string
  text: string
}
const g = globalThis as unknown as { __revkaFixtureSent?: Sent[] }

export default definePlugin({
  setup(api) {
    g.__revkaFixtureSent ??= []
    defineChannel(api, {
      id: 'fixture',
      display_name: 'Fixture channel',
      status: () => ({ configured: true, receiving: true, message_count: g.__revkaFixtureSent!.length, last_message_at: null }),
      send: async (to, text) => {
        if (to === 'fail') throw new Error('fixture channel refuses "fail"')
        g.__revkaFixtureSent!.push({ to, text })
      },
    })
  },
})
