/**
 * Talking to the gateway: its base path (under `path_prefix` the dashboard plugin injects
 * `window.__REVKA_BASE__`), the bearer token kept in localStorage, and a fetch wrapper that turns
 * every 401 into "back to pairing" — a revoked or rotated token must never leave a half-working page.
 */
declare global {
  interface Window {
    __REVKA_BASE__?: string
  }
}

export const BASE = (window.__REVKA_BASE__ ?? '').replace(/\/+$/, '')
// one key per base: two gateways behind one origin (different prefixes) keep their own tokens
const KEY = `revka.token:${BASE || '/'}`

export interface Session {
  token: string
  deviceId?: string
}

export function loadSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null')
    return s && typeof s.token === 'string' ? s : null
  } catch {
    return null
  }
}

export function saveSession(s: Session): void {
  localStorage.setItem(KEY, JSON.stringify(s))
}

let unauthorized: () => void = () => {}
/** The app's "show pairing" callback; runs after the token has been dropped. */
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn
}

/** Drop the token and return to pairing (a 401 anywhere, a 4401 close, or "forget this device"). */
export function signOut(): void {
  localStorage.removeItem(KEY)
  unauthorized()
}

export const token = (): string => loadSession()?.token ?? ''
export const url = (path: string): string => BASE + path
export function wsUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${BASE}${path}`
}

/** A refusal from the gateway: status, the `code` of `{error, code}` and any extra fields (`line`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly body?: Record<string, unknown>,
  ) {
    super(message)
  }
  get notFound(): boolean {
    return this.status === 404
  }
}

interface Options {
  method?: string
  body?: BodyInit
  json?: unknown
  contentType?: string
  auth?: boolean
}

export async function request<T = any>(path: string, opts: Options = {}): Promise<T> {
  const headers: Record<string, string> = {}
  const t = token()
  if (opts.auth !== false && t) headers.authorization = `Bearer ${t}`
  let body = opts.body
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(opts.json)
  } else if (opts.contentType) headers['content-type'] = opts.contentType
  let res: Response
  try {
    res = await fetch(url(path), { method: opts.method ?? 'GET', headers, body })
  } catch {
    throw new ApiError(0, 'The gateway cannot be reached')
  }
  const text = await res.text()
  let data: any = text
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      data = JSON.parse(text)
    } catch {}
  }
  if (res.status === 401 && opts.auth !== false) {
    signOut()
    throw new ApiError(401, 'Your token is no longer valid: pair again', 'unauthorized')
  }
  if (!res.ok) {
    const message = typeof data === 'object' && data ? String(data.error ?? data.message ?? res.statusText) : text || res.statusText
    throw new ApiError(res.status, message, typeof data === 'object' ? data?.code : undefined, typeof data === 'object' ? data : undefined)
  }
  return data as T
}

/**
 * After a stream or socket failed without saying why (a browser hides the upgrade's status):
 * ask a bearer route, which signs out on 401. True when the token still works.
 */
export async function tokenStillValid(): Promise<boolean> {
  try {
    await request('/api/health')
    return true
  } catch (e) {
    return !(e instanceof ApiError && e.status === 401)
  }
}
