/**
 * config — read and replace config.toml over HTTP (contract §1.2). Secrets never leave the gateway:
 * GET masks them, and PUT restores any value still masked from the file on disk, so a client can
 * send back exactly what it read. The kernel's `gateway-config` service does the parsing,
 * validation and atomic write; this plugin is its HTTP face.
 */
import { definePlugin, KernelServices } from '@revka/plugin-sdk'
import { tomlText } from './toml-body.js'

/** The reference advertises 1 MiB here; unlike the reference, this limit is the one enforced. */
export const CONFIG_BODY_LIMIT = 1_048_576

export default definePlugin({
  setup(api) {
    const config = () => api.services.get(KernelServices.config)

    api.routes.add({
      method: 'GET',
      url: '/api/config',
      auth: 'bearer',
      description: '{format:"toml", content} with secret values masked',
      handler: () => ({ format: 'toml', content: config().masked() }),
    })

    api.routes.add({
      method: 'PUT',
      url: '/api/config',
      auth: 'bearer',
      bodyLimit: CONFIG_BODY_LIMIT,
      rawBody: true,
      description: 'replace config.toml with the raw TOML body; masked values are kept from the current file',
      handler: async (req) => {
        const text = tomlText(req)
        const result = await config().replace(text)
        api.log.info({ device: req.auth.deviceId ?? req.auth.via, bytes: Buffer.byteLength(text), restartRequired: result.restartRequired }, 'config.toml replaced')
        return { status: 'ok', restart: result.restartRequired ? 'required' : 'not_required', content: result.content }
      },
    })
  },
})
