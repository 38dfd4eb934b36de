/**
 * Test fixture: `fx_hold`, a tool whose call lasts until `POST /fx/mcp/release`, so a test can hold
 * `/api/mcp/stream` answers open (a tools/call answers SSE until the result). `GET /fx/mcp/holds`
 * says how many calls ever started, so a test can tell a refused request never reached the tool.
 */
import { definePlugin } from '@revka/plugin-sdk'

export default definePlugin({
  setup(api) {
    let started = 0
    let waiting: Array<() => void> = []
    api.hooks.tools.tap((list) => [
      ...list,
      {
        name: 'fx_hold',
        description: 'Wait until the test releases the call.',
        parameters: { type: 'object', properties: {} },
        async execute() {
          started++
          await new Promise<void>((r) => waiting.push(r))
          return 'released'
        },
      },
    ])
    api.routes.add({
      method: 'POST',
      url: '/fx/mcp/release',
      auth: 'loopback',
      handler: () => {
        const n = waiting.length
        for (const r of waiting) r()
        waiting = []
        return { released: n }
      },
    })
    api.routes.add({ method: 'GET', url: '/fx/mcp/holds', auth: 'loopback', handler: () => ({ started, waiting: waiting.length }) })
    api.onStop(() => {
      for (const r of waiting) r()
      waiting = []
    })
  },
})
