/**
 * A handler returns a plain JSON value (answered 200) or `reply({...})` for another status,
 * headers, or a non-JSON body.
 */
import type { RevkaReply } from './types.js'

const REPLY_BRAND = Symbol.for('revka.reply')

export interface BrandedReply extends RevkaReply {
  readonly [REPLY_BRAND]: true
}

/** A full reply: `reply({ status: 201, body: {...} })`. */
export function reply(init: RevkaReply): BrandedReply {
  return { ...init, [REPLY_BRAND]: true as const }
}

/** True for values made by `reply()` (brand, not instanceof, so module copies agree). */
export function isReply(value: unknown): value is BrandedReply {
  return typeof value === 'object' && value !== null && (value as any)[REPLY_BRAND] === true
}
