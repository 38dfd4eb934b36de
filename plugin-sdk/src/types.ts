/**
 * The types a plugin sees. Everything here is data or an interface the kernel implements; a plugin
 * never receives a kernel object it could use to bypass auth or limits (no Fastify instance, no
 * container, no raw token).
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { ServiceRef } from './service-ref.js'

/** What `revka.plugin.json` declares. Read and checked before the plugin's code is imported. */
export interface PluginManifest {
  id: string
  version: string
  /** semver range of the plugin API (the SDK's version) this plugin was built for */
  api: string
  /** relative path to a `.ts` or `.js` module whose default export is `definePlugin(...)` */
  entry: string
  name?: string
  description?: string
  requires?: string[]
  /**
   * Optional services: started after their provider when one is enabled, and no failure when none
   * is (or it failed). Reach them with `api.services.find(ref)`, which is undefined then.
   */
  uses?: string[]
  provides?: string[]
  modes?: Array<'gateway' | 'daemon'>
  /**
   * The environment variables the plugin reads through `api.gateway.env` (and names as a route's
   * `secret.env`). Any other name throws; the kernel's own (`REVKA_GATEWAY_*`, `REVKA_AUDIT_*`,
   * `REVKA_STATE_DIR`, …) cannot be declared.
   */
  env?: string[]
  /**
   * Where the operator names more variables for it to read: `options.<key>` (an option holding a
   * name or a list of names) or `config.<section>.<key>` (a config.toml value; `*` walks every
   * member of a table), e.g. `"options.shell_env_allow"`, `"config.providers.*.api_key_env"`.
   */
  envFrom?: string[]
  /** JSON Schema of the plugin's options in revka.plugins.json */
  configSchema: Record<string, unknown>
  enabledByDefault?: boolean
  /** a plugin whose failure must abort start instead of degrading the gateway */
  essential?: boolean
  /** ms allowed for setup and for start (default 10 000) */
  startTimeoutMs?: number
  /** how the plugin shows on the integrations page (`GET /api/integrations`); none: not listed */
  integration?: import('./integration.js').PluginIntegration
}

/**
 * An auth surface a route declares. `provider` routes bring their own verifier (webhooks).
 * An array means "any of" (e.g. `['loopback', 'bearer']`).
 */
export type AuthSurfaceName = 'public' | 'bearer' | 'service' | 'loopback' | 'signed'
/** A route authenticated by the sender's own signature (webhooks): the kernel runs `provider` with the route's secret. */
export interface ProviderAuth {
  /**
   * Runs in the kernel before the handler, on the raw body bytes. Return true to accept.
   * Must compare in constant time (use `timingSafeEqualStr`/`hmacSha256Hex` from the SDK).
   */
  provider: (req: ProviderAuthRequest, secret: string) => boolean | Promise<boolean>
  /**
   * How a refusal is answered; default 401 `invalid_signature`. A verification handshake that
   * compares a token rather than a signature (WhatsApp's `hub.verify_token`) answers 403 as the
   * contract says.
   */
  refusal?: { status: 401 | 403; code: string; message: string }
}
/** Who may call a route: one surface, any of several, or a provider's signature check. */
export type AuthSurface = AuthSurfaceName | AuthSurfaceName[] | ProviderAuth

/** What a provider's signature check sees of the request, including the raw body bytes. */
export interface ProviderAuthRequest {
  headers: IncomingHttpHeaders
  query: Record<string, string | undefined>
  rawBody: Buffer
  method: string
  url: string
}

/** Where a provider route finds its secret: env var first, then the plugin's own options key. */
export interface SecretSource {
  env?: string
  config?: string
}

/** An HTTP method a route may declare. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'

/** The request a handler sees: parsed body, params, query, headers and who called. */
export interface RevkaRequest<Body = unknown> {
  method: string
  url: string
  /** the route pattern, e.g. `/api/devices/:id` */
  route: string
  params: Record<string, string>
  query: Record<string, string | undefined>
  headers: IncomingHttpHeaders
  body: Body
  /** present on routes declared with `rawBody: true` and on provider routes */
  rawBody?: Buffer
  /** the authenticated principal, set by the kernel before the handler runs */
  auth: AuthContext
  /** rate-limit key of the client (socket address, or forwarded address when trusted) */
  clientKey: string
  /** true only for a loopback socket peer with no forwarding headers */
  isLoopback: boolean
  /** aborted when the client goes away or the route's timeout fires */
  signal: AbortSignal
  /** the raw request body stream, for routes declared with `stream: true` (uploads) */
  stream?: Readable
}

/** How the caller of a request was authenticated (`req.auth`). */
export interface AuthContext {
  /** which surface let the request in */
  via: 'public' | 'bearer' | 'service' | 'loopback' | 'signed' | 'provider' | 'admin-token' | 'pairing-off' | 'anonymous'
  deviceId?: string
  /** opaque id of the credential (hash prefix), for closing streams on revocation */
  credentialId?: string
}

/** What a handler may return: a plain JSON value (200), or a full reply. */
export interface RevkaReply {
  status?: number
  headers?: Record<string, string>
  /** JSON-serialisable value, a string, a Buffer, or a stream */
  body?: unknown
}

/** A handler's access to the response, for headers, status and streaming. */
export interface RawReplyAccess {
  /** set a header on the pending response */
  header(name: string, value: string): void
  status(code: number): void
  /** the raw Node response, for streaming (SSE). The kernel has already checked auth and limits. */
  raw: import('node:http').ServerResponse
  /** mark the reply as handled by the plugin (streams); the kernel will not send a body */
  hijack(): void
}

/** An HTTP route's handler: return a JSON value, a `reply()`, a `fileReply()`, or throw an `httpError`. */
export type RouteHandler<Body = any> = (req: RevkaRequest<Body>, reply: RawReplyAccess) => unknown | Promise<unknown>

/** The WebSocket a plugin's ws route receives (a `ws` WebSocket). */
export interface RevkaSocket {
  /**
   * Queue a message. `cb` runs once it has been handed to the OS (or with the error that stopped
   * it): a stream to slow clients counts its unfinished sends to bound what it buffers.
   */
  send(data: string | Buffer, cb?: (err?: Error) => void): void
  close(code?: number, reason?: string): void
  on(event: 'message', fn: (data: Buffer, isBinary: boolean) => void): this
  on(event: 'close', fn: (code: number, reason: Buffer) => void): this
  on(event: string, fn: (...args: any[]) => void): this
  readonly readyState: number
  readonly protocol: string
  readonly bufferedAmount: number
}

/** A WebSocket route's handler, called with the open socket after the kernel's checks. */
export type WebSocketHandler = (socket: RevkaSocket, req: RevkaRequest<undefined>) => void | Promise<void>

/** A route's own request rate limit per client. */
export interface RouteRateLimit {
  /** requests per client per minute; 0 disables */
  perMinute: number
}

/** A route is data: the kernel validates it, registers it and enforces auth and limits. */
export interface RouteBase {
  method: HttpMethod | HttpMethod[]
  url: string
  auth: AuthSurface
  /** with `auth.provider`: where the secret comes from (missing → 503 webhook_not_configured) */
  secret?: SecretSource
  /** bytes; default the kernel's 65 536; at most the kernel ceiling */
  bodyLimit?: number
  /** ms to receive the body and produce the response head; default 30 000 */
  timeoutMs?: number
  rateLimit?: RouteRateLimit
  /** JSON Schema for body/query/params, validated by the kernel (400 on mismatch) */
  schema?: { body?: object; query?: object; params?: object }
  /** keep the raw body bytes on `req.rawBody` */
  rawBody?: boolean
  /** do not parse the body; hand the handler `req.stream` (multipart uploads) */
  stream?: boolean
  /**
   * the subprotocol a ws route selects, e.g. `revka.v1`: selected when offered, none selected when the
   * client offers no subprotocol at all; an offer without it is refused (400 subprotocol_unsupported)
   */
  subprotocol?: string
  /**
   * The route's final `*` may carry percent-encoded slashes (`%2F`): one encoded kref segment such
   * as `GET /api/workflows/revisions/{*kref}` (DOMAIN §1.3). Only the wildcard part; the kernel
   * still refuses every other non-canonical escape (`%2e`, `%5C`, double encoding) there and
   * everywhere else. The handler gets the value decoded and must parse it (a kref), never use it
   * as a file path. The url must end in `/*`.
   */
  encodedWildcard?: boolean
  /** SSE and other long responses: the timeout covers only the response head */
  streaming?: boolean
  /** query tokens (`?token=`) accepted here (SSE routes); always on for websocket routes */
  queryToken?: boolean
  /**
   * A route-level token accepted besides device tokens on a `bearer` route (e.g. `/ws/nodes` and
   * `[nodes] auth_token`). Called by the kernel on every request, so a config change applies to the
   * next one; return undefined or '' when none is configured. While it returns a token, the kernel
   * compares the presented bearer with it in constant time, and the pairing-off shortcut no longer
   * applies: the caller must present this token or a valid device token. A request let in by it has
   * `auth.via = 'bearer'`, no `deviceId`, and `credentialId = 'route-token:<plugin id>'`. If the
   * function throws, the route fails closed (device tokens only, no pairing-off shortcut).
   */
  extraBearer?: () => string | undefined
  /**
   * A route-level check for bearer tokens that are credentials the plugin itself issued (an MCP
   * session's token with its `X-Revka-Session` header, for `POST /hooks/claude-code`). Called by
   * the kernel, on a `bearer` route, when a presented bearer is not the route token; return a short
   * id of the credential to admit the request (`auth.via = 'bearer'`, `credentialId =
   * 'route-credential:<plugin id>:<id>'`), or null. A refusal counts as a failed attempt like any
   * wrong token. Must compare in constant time; a throw counts as a refusal.
   */
  bearerCredential?: (token: string, headers: IncomingHttpHeaders) => string | null
  /**
   * On a `bearer` route: a request that presents no credential at all is let in with
   * `auth.via = 'anonymous'`, for the handler to answer a public view (the contract's trimmed
   * `GET /api/status`). A credential that is presented is still checked — a wrong one is 401 —
   * and a valid one gives the usual principal.
   */
  anonymous?: boolean
  /**
   * For `signed` routes: what the signature covers. `path` (default) is the request path without
   * the path prefix; `wildcard` is the route's `*` part (reference-compatible `/workspace/*`).
   */
  signed?: { subject: 'path' | 'wildcard' }
  /**
   * The gateway's fallback page (a dashboard's single-page app): declare `method: 'GET'`,
   * `url: '/*'`. The kernel sends here every GET (and HEAD) that no other route matched, under the
   * path prefix and including the prefix itself (`GET {prefix}`), except `/api/*`, `/ws/*` and
   * `/admin/*`, which stay 404 JSON; `{prefix}/` stays a 308 to `{prefix}`. While a fallback is
   * mounted, other unmatched methods answer 405 `method_not_allowed` (`Allow: GET, HEAD`).
   * One per gateway; it overlaps no other route. Its auth, limits and plugin state are enforced
   * like any route's.
   */
  fallback?: boolean
  description?: string
}

/** An HTTP route: its declaration plus the handler. */
export interface HttpRouteDeclaration extends RouteBase {
  websocket?: false
  handler: RouteHandler
}

/** A WebSocket route: the kernel checks Origin, auth and subprotocol before `handler` sees the socket. */
export interface WsRouteDeclaration extends RouteBase {
  websocket: true
  handler: WebSocketHandler
  /**
   * Optional admission check that runs in the kernel after Origin, subprotocol, auth and rate limit
   * passed, but BEFORE the 101 response: throw `httpError(status, code, message)` to refuse the
   * upgrade with that status and the `{error, code}` body (a policy refusal such as "terminal is
   * disabled while pairing is off", or a missing query parameter); return to let the upgrade go on.
   * Any other throw refuses with 500. Keep it cheap: it runs on every upgrade attempt.
   */
  admit?: (req: RevkaRequest<undefined>) => void | Promise<void>
}

/** What `api.routes.add` accepts: an HTTP or a WebSocket route. */
export type RouteDeclaration = HttpRouteDeclaration | WsRouteDeclaration

/** `add` with overloads so handlers get their parameter types from context. */
export interface RouteAdder {
  add(route: HttpRouteDeclaration): Disposer
  add(route: WsRouteDeclaration): Disposer
}

/** Undoes what returned it (a tap, a subscription, a route). */
export type Disposer = () => void

/**
 * What `api.own` accepts: a Node timer, or an object released by `dispose()`, `close()` or
 * `destroy()` (the first it has). A returned promise is awaited, bounded by the stop timeout.
 */
export type OwnedResource = NodeJS.Timeout | { dispose(): unknown } | { close(): unknown } | { destroy(): unknown }

/** A plugin's logger (`api.log`), pino-compatible: an object and/or a message. */
export interface Logger {
  trace(obj: unknown, msg?: string): void
  debug(obj: unknown, msg?: string): void
  info(obj: unknown, msg?: string): void
  warn(obj: unknown, msg?: string): void
  error(obj: unknown, msg?: string): void
  fatal(obj: unknown, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
}

/**
 * Where a plugin keeps its state. The form is the plugin's choice: SQLite for what it queries,
 * append-only JSONL for journals, `writeFileAtomicSync` for a small JSON document.
 */
export interface PluginStore {
  /**
   * The plugin's private folder, `<state>/plugins/<id>/` (created 0700 on first use). Keep every
   * file the plugin owns here — databases, journals, ledgers, uploads: it is never served. Never
   * put such files under `api.gateway.workspaceDir`, which signed URLs can reach.
   */
  readonly dir: string
}

/** Information about the running gateway a plugin may read. */
export interface GatewayInfo {
  readonly mode: 'gateway' | 'daemon'
  readonly host: string
  /** the bound port, known after listen (0 before) */
  readonly port: number
  readonly pathPrefix: string
  readonly requirePairing: boolean
  /**
   * Files meant for sharing: `GET /workspace/*` serves anything here to the holder of a signed URL
   * (`POST /api/workspace/sign`). Never put a plugin's own state here — use `api.store.dir`.
   */
  readonly workspaceDir: string
  /** the kernel's log folder (`gateway.log`, read-only for plugins: the events plugin streams it) */
  readonly logsDir: string
  /** a path from config.toml, resolved against config.toml's folder (as the kernel resolves its own) */
  configPath(path: string): string
  /**
   * Whether a folder (symlinks resolved) lies inside the gateway's state dir (`'inside'`), holds it
   * (`'holds'`), or neither (`null`, also when it does not exist). The state dir's path is not
   * handed out — a plugin keeps its files in `api.store.dir` — but a plugin that serves a folder
   * must refuse one that overlaps it.
   */
  stateOverlap(path: string): 'inside' | 'holds' | null
  readonly version: string
  readonly apiVersion: string
  readonly startedAt: Date
  /**
   * The kernel's clock in epoch ms (`Date.now` unless a test harness injected one, e.g.
   * `ManualClock`): schedulers read time through it so tests move time instead of sleeping.
   */
  now(): number
  /**
   * A copy of a top-level `config.toml` table or value, e.g. `section('observability')` or
   * `section('default_provider')`; undefined when absent. After a `PUT /api/config`, only the
   * live sections (`observability`, `cost`) show the new values; every other section reads as it
   * was at start until the gateway restarts (the PUT answers which keys wait for it), so a secret
   * set through config never goes live under a running gateway.
   */
  section<T = Record<string, unknown>>(name: string): Readonly<T> | undefined
  /**
   * An environment variable the plugin declared in its manifest (`"env"`, or a list the operator
   * fills through `"envFrom"`), as the kernel sees it (the process env, or the env a test harness
   * gave the kernel): undefined when unset. Any other name throws REVKA_ERR_ENV_UNDECLARED; the
   * kernel's own variables (its admin token, audit key, …) throw REVKA_ERR_ENV_RESERVED.
   */
  env(name: string): string | undefined
}

/** Services a plugin provides and consumes; only those its manifest declares. */
export interface ServiceAccess {
  get<T>(ref: ServiceRef<T>): T
  /** a service listed under `uses` (or `requires`): undefined while nobody provides it */
  find<T>(ref: ServiceRef<T>): T | undefined
  provide<T>(ref: ServiceRef<T>, impl: T): Disposer
}
