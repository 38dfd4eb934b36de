/**
 * openapi — `GET /api/openapi.json` (bearer): the gateway's API as an OpenAPI 3.1 document,
 * generated on each request from the kernel's read-only route table, so a plugin enabled or
 * disabled at runtime shows at once. It documents what the kernel enforces, not what a handler
 * might answer.
 */
import { definePlugin, KernelServices } from '@revka/plugin-sdk'
import { openApiDocument } from './document.js'

export default definePlugin({
  setup(api) {
    api.routes.add({
      method: 'GET',
      url: '/api/openapi.json',
      auth: 'bearer',
      description: "this document: every enabled plugin's routes, auth surfaces and limits (OpenAPI 3.1)",
      handler: () => openApiDocument(api.services.get(KernelServices.routes).list(), { version: api.gateway.version, pathPrefix: api.gateway.pathPrefix }),
    })
  },
})
