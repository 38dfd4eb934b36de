import { createRequire } from 'node:module'

/** The plugin API version a kernel offers: the SDK's package version. Manifests' `api` ranges match it. */
export const PLUGIN_API_VERSION: string = createRequire(import.meta.url)('../package.json').version
