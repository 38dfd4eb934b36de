/**
 * Who is asking to change config.toml. The service token wins wherever it comes from; a loopback
 * peer with no forwarding header is the operator's own machine; anyone else is a device (a paired
 * bearer, the admin-token, or pairing-off behind a proxy) and may not change security-bearing keys.
 */
import type { RevkaRequest } from '@revka/plugin-sdk'

export interface Actor {
  kind: 'loopback' | 'service' | 'device'
  device_id: string | null
}

export function actorOf(req: RevkaRequest): Actor {
  const deviceId = req.auth.deviceId ?? null
  if (req.auth.via === 'service') return { kind: 'service', device_id: null }
  if (req.isLoopback) return { kind: 'loopback', device_id: deviceId }
  return { kind: 'device', device_id: deviceId ?? (req.auth.via === 'admin-token' ? 'admin-token' : null) }
}

export function mayChangeProtected(actor: Actor): boolean {
  return actor.kind !== 'device'
}
