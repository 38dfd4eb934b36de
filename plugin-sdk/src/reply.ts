/**
 * A handler returns a plain JSON value (answered 200) or `reply({...})` for another status,
 * headers, or a non-JSON body.
 */
import type { RevkaReply } from './types.js'

const REPLY_BRAND = Symbol.for('revka.reply')

/** A `RevkaReply` made by `reply()`, which the kernel recognises as a response description rather than a JSON body. */
export interface BrandedReply extends RevkaReply {
  readonly [REPLY_BRAND]: true
}

// a class with the brand on its prototype: spreading `init` into a literal with a symbol key
// cost more than the rest of a cached /health answer
class ReplyValue implements RevkaReply {
  declare readonly [REPLY_BRAND]: true
  readonly status?: number
  readonly headers?: Record<string, string>
  readonly body?: unknown
  constructor(init: RevkaReply) {
    this.status = init.status
    this.headers = init.headers
    this.body = init.body
  }
}
Object.defineProperty(ReplyValue.prototype, REPLY_BRAND, { value: true })

/** A full reply: `reply({ status: 201, body: {...} })`. */
export function reply(init: RevkaReply): BrandedReply {
  return new ReplyValue(init) as BrandedReply
}

/** True for values made by `reply()` (brand, not instanceof, so module copies agree). */
export function isReply(value: unknown): value is BrandedReply {
  return typeof value === 'object' && value !== null && (value as any)[REPLY_BRAND] === true
}
