/**
 * The one error shape: `{ error: "<human message>", code: "<snake_case>" }`, plus `retry_after`
 * where relevant. Handlers throw `httpError(...)`; the kernel turns it into the reply.
 */
const BRAND = Symbol.for('revka.http-error')

/** Extras of an `httpError` answer: `Retry-After`, headers, additional body fields. */
export interface HttpErrorOptions {
  /** seconds; also sets the `Retry-After` header */
  retryAfter?: number
  headers?: Record<string, string>
  /** extra fields merged into the JSON body */
  extra?: Record<string, unknown>
}

/** An error that answers as a JSON HTTP response (`{error, code}` and the given status); make it with `httpError`. */
export class RevkaHttpError extends Error {
  readonly [BRAND] = true
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly options: HttpErrorOptions = {},
  ) {
    super(message)
    this.name = 'RevkaHttpError'
  }
}

/** Build an error the kernel answers as `{error, code}` with the given status. */
export function httpError(status: number, code: string, message: string, options?: HttpErrorOptions): RevkaHttpError {
  return new RevkaHttpError(status, code, message, options)
}

/** True for errors made by `httpError`, across module copies (brand, not instanceof). */
export function isHttpError(e: unknown): e is RevkaHttpError {
  return typeof e === 'object' && e !== null && (e as any)[BRAND] === true
}

/** A kernel or plugin fault with a stable `REVKA_ERR_*` code. */
export class RevkaError extends Error {
  constructor(
    readonly code: `REVKA_ERR_${string}`,
    message: string,
  ) {
    super(`${code}: ${message}`)
    this.name = 'RevkaError'
  }
}
