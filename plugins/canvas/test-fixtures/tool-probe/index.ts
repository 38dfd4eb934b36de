/**
 * Test fixture: what the agent runtime sees of the tool registry, over loopback routes.
 * `GET /fx/tools` lists the tools; `POST /fx/tools/:name` runs one with the body as its arguments.
 */
import { definePlugin, httpError, KernelServices } from '@revka/plugin-sdk'

export default definePlugin({
  setup(api) {
    const registry = () => api.services.get(KernelServices.tools)
    api.routes.add({
      method: 'GET',
      url: '/fx/tools',
      auth: 'loopback',
      handler: async () => ({
        tools: (await registry().list()).map((t) => ({ name: t.name, description: t.description, parameters: t.parameters, plugin: t.plugin })),
      }),
    })
    api.routes.add({
      method: 'POST',
      url: '/fx/tools/:name',
      auth: 'loopback',
      // room for oversized arguments, so the tool's own limits are what a test reaches
      bodyLimit: 1024 * 1024,
      handler: async (req) => {
        const tool = (await registry().list()).find((t) => t.name === req.params.name)
        if (!tool) throw httpError(404, 'no_such_tool', `no tool ${req.params.name}`)
        const r = await tool.execute((req.body ?? {}) as Record<string, unknown>, { signal: req.signal })
        return typeof r === 'string' ? { output: r, success: true } : r
      },
    })
  },
})
