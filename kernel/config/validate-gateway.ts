/**
 * What the start refuses, as one check that the start and `PUT /api/config` share, so that a
 * config accepted over HTTP can never brick the next start. The start runs each part at its own
 * moment (settings in the constructor, TLS files at boot, the bind at listen); a PUT runs them all
 * on the new document, with the environment and command-line overrides the running gateway has.
 */
import { dirname } from 'node:path'
import { RevkaError } from '@revka/plugin-sdk'
import { isLoopbackHost } from '../auth/client.js'
import { httpsSetup } from '../http/tls.js'
import { adminSocketPath, assertAdminSocketPath } from '../http/admin-socket.js'
import { settingsFrom, type GatewaySettings, type TomlDoc } from './gateway-config.js'

/** Pairing off on a non-loopback host would hand the gateway to anyone who can reach it. */
export function assertSafeBind(requirePairing: boolean, host: string): void {
  if (!requirePairing && !isLoopbackHost(host)) {
    throw new RevkaError(
      'REVKA_ERR_UNSAFE_BIND',
      `Refusing to start: pairing is disabled (require_pairing = false) and host ${host} is not loopback. Bind 127.0.0.1 or turn pairing on.`,
    )
  }
}

/** What the running gateway adds on top of config.toml: its env and the CLI's `--host`. */
export interface StartOverrides {
  env: NodeJS.ProcessEnv
  host?: string
}

/**
 * Throws what the next start would throw for `doc`: a ConfigError for an invalid value (the start
 * wraps it in REVKA_ERR_CONFIG), REVKA_ERR_TLS for unusable PEM files, REVKA_ERR_ADMIN_SOCKET for
 * an admin socket path the start would refuse, REVKA_ERR_UNSAFE_BIND.
 */
export function assertStartable(doc: TomlDoc, configFile: string, o: StartOverrides): GatewaySettings {
  const settings = settingsFrom(doc, o.env)
  if (o.host !== undefined) settings.host = o.host
  if (settings.tls) httpsSetup(settings.tls, dirname(configFile))
  if (settings.adminSocket) assertAdminSocketPath(adminSocketPath(settings.adminSocket, configFile))
  assertSafeBind(settings.requirePairing, settings.host)
  return settings
}
