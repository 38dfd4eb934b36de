/** admin — loopback-only control of the running gateway. */
import { definePlugin, KernelServices } from '@revka/plugin-sdk'

export default definePlugin({
  setup(api) {
    api.routes.add({
      method: 'POST',
      url: '/admin/shutdown',
      auth: 'loopback',
      description: 'drain and stop the gateway (revka stop)',
      handler: () => {
        api.services.get(KernelServices.control).requestShutdown('POST /admin/shutdown')
        return { success: true, message: 'Gateway shutdown initiated' }
      },
    })
  },
})
