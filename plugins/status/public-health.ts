/**
 * What `/health` may tell a stranger. The endpoint is public, and a component's last error is
 * written for the operator: it names the config key *and quotes its value* (a base URL with a
 * password, a path, a host) so a mistake can be fixed from the diagnostic alone. Off the
 * operator's own machine the error is reduced to its stable `REVKA_ERR_*` code; the full text
 * stays on loopback, on the authenticated `/api/status` and `/api/health`, and in the log.
 */
import type { ComponentHealth, HealthSnapshot } from '@revka/plugin-sdk'

/** the code an error that carries none is reported as */
export const UNCODED_ERROR = 'REVKA_ERR_COMPONENT'

const CODE = /^(REVKA_ERR_[A-Z0-9_]+)\b/

export function errorCode(message: string | null): string | null {
  if (message === null) return null
  return CODE.exec(message)?.[1] ?? UNCODED_ERROR
}

/** the snapshot with every component's `last_error` reduced to its code (a copy; the input is shared) */
export function publicSnapshot(s: HealthSnapshot): HealthSnapshot {
  const components: Record<string, ComponentHealth> = {}
  for (const [name, c] of Object.entries(s.components)) components[name] = { ...c, last_error: errorCode(c.last_error) }
  return { ...s, components }
}
