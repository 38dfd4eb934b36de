/**
 * Thenable test for hot paths. A plain object (what handlers and status taps usually return) is
 * not treated as a thenable: looking up a missing `then` on a large document showed in profiles.
 */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  if (v instanceof Promise) return true
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false
  if (Object.getPrototypeOf(v) === Object.prototype) return false
  return typeof (v as PromiseLike<unknown>).then === 'function'
}
