/**
 * The config audit log: one JSON line per `PUT /api/config` — who (loopback, service token, or
 * which device), which keys changed, and whether it was refused — appended to an owner-only file
 * in this plugin's state folder. Key names only: values, secrets above all, are never logged.
 * One small module on purpose: the trust work will make this log tamper-evident in one place.
 */
import { appendFileSync, chmodSync, closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import type { RevkaRequest } from '@revka/plugin-sdk'

export interface Actor {
  kind: 'loopback' | 'service' | 'device'
  device_id: string | null
}

export interface AuditEntry {
  ts: string
  actor: Actor
  changed_keys: string[]
  refused?: { status: number; code: string }
}

/**
 * Who is asking. The service token wins wherever it comes from; a loopback peer with no forwarding
 * header is the operator's own machine; anyone else is a device (a paired bearer, the
 * admin-token, or pairing-off behind a proxy) and may not change security-bearing keys.
 */
export function actorOf(req: RevkaRequest): Actor {
  const deviceId = req.auth.deviceId ?? null
  if (req.auth.via === 'service') return { kind: 'service', device_id: null }
  if (req.isLoopback) return { kind: 'loopback', device_id: deviceId }
  return { kind: 'device', device_id: deviceId ?? (req.auth.via === 'admin-token' ? 'admin-token' : null) }
}

export function mayChangeProtected(actor: Actor): boolean {
  return actor.kind !== 'device'
}

export class ConfigAudit {
  readonly file: string

  constructor(dir: string) {
    this.file = join(dir, 'audit.jsonl')
    // created owner-only up front; a file left looser by anything earlier is tightened
    closeSync(openSync(this.file, 'a', 0o600))
    chmodSync(this.file, 0o600)
  }

  /** appended synchronously, so the line is on its way to disk before the answer leaves */
  append(entry: Omit<AuditEntry, 'ts'>): void {
    const line: AuditEntry = { ts: new Date().toISOString(), ...entry }
    appendFileSync(this.file, JSON.stringify(line) + '\n', { mode: 0o600 })
  }
}
