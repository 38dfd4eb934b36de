/** Interfaces of the services the kernel provides (see `KernelServices`). */

export type PluginStatus = 'discovered' | 'disabled' | 'incompatible' | 'failed' | 'loaded' | 'starting' | 'started' | 'stopped'

/** A plugin as the kernel knows it: id, version, source, folder and status. */
export interface PluginInfo {
  id: string
  version: string
  api: string
  source: 'builtin' | 'path' | 'npm'
  dir: string
  enabled: boolean
  status: PluginStatus
  /** why it is failed/incompatible/disabled */
  diagnostic?: string
  essential: boolean
  updatedAt: string
  lastOk: string | null
  lastError: string | null
  restartCount: number
}

/** The kernel's `plugin-registry` service: every discovered plugin. */
export interface PluginRegistryService {
  list(): PluginInfo[]
}

/** What replacing config.toml changed. */
export interface ConfigReplaceResult {
  /** the masked TOML now in force */
  content: string
  /** true when any changed key needs a restart to take effect (`restartKeys` is not empty) */
  restartRequired: boolean
  /** dotted keys the write added, removed or changed (names only, never values) */
  changedKeys: string[]
  /**
   * the changed keys that take effect on restart only: plugins keep seeing the values they
   * started with (a node token, a provider key) until then
   */
  restartKeys: string[]
}

/** What a config.toml replacement is allowed to change. */
export interface ConfigReplaceOptions {
  /**
   * May this write change security-bearing keys (`[gateway]`, `[nodes]`, `[observability]`, a
   * provider's `base_url`, `api_key_env`, `headers`, and any secret such as a provider's
   * `api_key`)? Only for loopback or the service token;
   * otherwise such a change is refused with 403 `config_key_protected` naming the keys (the
   * error's `keys` field lists them) and nothing is written. Default false.
   */
  mayChangeProtected?: boolean
}

/** The kernel's `gateway-config` service: config.toml, masked for reading and checked on writing. */
export interface GatewayConfigService {
  /** config.toml with secret values, header values and URL credentials replaced by `***MASKED***` */
  masked(): string
  /**
   * Replace config.toml with `toml`. Masked values are restored from the current file (a value
   * sent back exactly as GET showed it keeps what is stored), then the result is checked and
   * written atomically. Throws an httpError: 400 `invalid_toml` (with the line), 400
   * `invalid_config`, 403 `config_key_protected` (see `mayChangeProtected`), or 400
   * `unsafe_config` with the very message the next start would fail with (an unsafe bind, unusable
   * TLS files), so no accepted config can brick the start.
   */
  replace(toml: string, options?: ConfigReplaceOptions): Promise<ConfigReplaceResult>
  readonly path: string
}

/** A paired device. */
export interface DeviceInfo {
  id: string
  name: string | null
  device_type: string | null
  hardware: string | null
  paired_at: string
  last_seen: string
  ip_address: string | null
}

/** Whether pairing is required and done, and the current pairing code. */
export interface PairingStatus {
  requirePairing: boolean
  paired: boolean
  /** the current code, only while one exists and has not expired */
  code: string | null
  codeExpiresAt: string | null
}

/** What a device tells about itself when it pairs. */
export interface PairMetadata {
  name?: string | null
  deviceType?: string | null
  hardware?: string | null
  ip?: string | null
}

/** The outcome of pairing: the new device's token and id. */
export interface PairResult {
  token: string
  deviceId: string
  persisted: boolean
}

/**
 * The pairing service. Calls that change state may answer with a Promise — always `await` them:
 * on a single node they are synchronous, in cluster mode (`[cluster]`) they go to PostgreSQL and
 * Redis, and an unreachable engine is httpError 503 `cluster_unavailable` with `retryAfter`.
 */
export interface PairingService {
  status(): PairingStatus
  /** mint (replacing any current) code; null when pairing is off */
  newCode(): Awaitable<string | null>
  /**
   * A code for a paired device to hand to a new one (`POST /api/pairing/initiate`): the live code
   * while there is one — someone may be typing it, so it is never replaced from here — else a new
   * one. Limited per `caller` (a credential id) and overall: over the limit it throws httpError 429
   * `rate_limited` with `retryAfter`. null when pairing is off.
   */
  initiate(caller: string): Awaitable<{ code: string; expiresAt: string } | null>
  /**
   * Exchange a code for a token. Applies the per-client failure lockout; throws httpError
   * 403 invalid_pairing_code / 429 too_many_attempts.
   */
  pair(code: string, clientKey: string, meta: PairMetadata): Awaitable<PairResult>
  listDevices(): DeviceInfo[]
  /** revoke: the token stops working at once, live streams of it are closed. false if unknown */
  revoke(deviceId: string): Awaitable<boolean>
  /**
   * rotate (contract §1.18): the old token stops working at once, and a pairing code bound to this
   * device is returned; pairing with it (`POST /pair`, `/api/pair`) gives the same device a new
   * token. The code expires like any pairing code. null if the device is unknown; throws httpError
   * 429 `too_many_rotations` while too many rotation codes are pending.
   */
  rotate(deviceId: string): Awaitable<{ deviceId: string; code: string; expiresAt: string } | null>
  /**
   * Mint a new device token without a pairing code, on behalf of an already paired device (the
   * `parentDeviceId`) — for a plugin that verified a second factor that device set up, such as a
   * passkey it registered. The new device is a normal one: listed, revocable, rotatable. null when
   * pairing is off or the parent device is no longer registered (revoking it ends its passkeys'
   * sign-in). The caller applies the auth limiter and audits.
   */
  mintDevice(meta: PairMetadata & { parentDeviceId: string; via: 'passkey' }): Awaitable<PairResult | null>
}

/** a value, or a Promise of it (the pairing service's answers; see PairingService) */
export type Awaitable<T> = T | Promise<T>

/** The kernel's count of live credential-bound streams. */
export interface AuthStreamsService {
  /** number of live WebSocket/SSE connections by credential */
  count(): number
}

/** One component's entry in the health snapshot. */
export interface ComponentHealth {
  status: 'starting' | 'ok' | 'error'
  updated_at: string
  last_ok: string | null
  last_error: string | null
  restart_count: number
}

/** The gateway's health: its process and every component. */
export interface HealthSnapshot {
  pid: number
  updated_at: string
  uptime_seconds: number
  components: Record<string, ComponentHealth>
}

/** The kernel's `gateway-status` service: the `/health` snapshot and the `/api/status` document. */
export interface GatewayStatusService {
  /** one component per enabled plugin plus every `health` hook probe; degraded if any is in error */
  health(): Promise<{ degraded: boolean; snapshot: HealthSnapshot }>
  /** the `/api/status` document: kernel fields, then every `status` hook tap in stage order */
  document(ctx: { authenticated: boolean }): Promise<Record<string, unknown>>
  /**
   * The same document as JSON text, for answering it. Cheaper than serialising `document()`: the
   * kernel reuses the serialised plugin list and health snapshot until either changes.
   */
  documentJson(ctx: { authenticated: boolean }): Promise<string>
}

/**
 * `cluster-claims`: "exactly one node does this". In cluster mode (`[cluster]`) a claim is a row in
 * PostgreSQL, so of all the nodes asking for one key, one gets `true` until `ttlMs` has passed
 * (then the key may be claimed again). On a single node `clustered` is false and every claim is
 * granted: callers skip the call there and keep their single-node path as it was.
 */
export interface ClusterClaimService {
  /** true in cluster mode */
  readonly clustered: boolean
  /**
   * Claim `key` (say `<job id>:<scheduled fire time>`) for `ttlMs`. Resolves true on the one
   * node that got it, false on the others; rejects when the database cannot be reached (do nothing
   * then: another node may have it).
   */
  claim(key: string, ttlMs: number): Promise<boolean>
}

/** A webhook delivery as the cluster queue hands it to the node that leased it. */
export interface QueuedWebhookDelivery {
  id: string
  at: number
  message: unknown
  /** attempts so far, this one included */
  attempts: number
  /** the agent's answer when an earlier attempt ran the turn (a failed send is retried without a second turn) */
  reply?: string
}

/**
 * `webhook-queue`: present only in cluster mode (`[cluster]`), absent on a single node, where
 * `defineWebhook` keeps its journal on disk. Deliveries of every node sit in one shared queue; a
 * node leases one at a time, for `leaseMs`, renewing while it works; when a node dies its lease
 * runs out and another node takes the delivery. Writes after the lease was lost do nothing.
 */
export interface WebhookQueueService {
  readonly leaseMs: number
  /**
   * Store `deliveries` under the idempotency `key` (kept until `until`, ms, compared with `now`).
   * False when the key is still held: a duplicate, nothing stored. Durable when it resolves.
   */
  enqueue(
    channel: string,
    key: { key: string; until: number; now: number } | undefined,
    deliveries: Array<{ id: string; at: number; message: unknown }>,
  ): Promise<boolean>
  /** lease the oldest due delivery of `channel` no live lease holds (its attempt counted), or null */
  claim(channel: string): Promise<QueuedWebhookDelivery | null>
  /** extend this node's lease; false when it was lost */
  renew(id: string): Promise<boolean>
  saveReply(id: string, text: string): Promise<void>
  /** give the delivery back after a failed attempt, due again after `delayMs` */
  retry(id: string, delayMs: number): Promise<void>
  finish(id: string, ok: boolean): Promise<void>
}

/** The kernel's lockout limiter for authentication attempts, for plugins that check their own secrets. */
export interface AuthLimiterService {
  /**
   * Count one attempt for `key` (say `<plugin>|<req.clientKey>`). Returns 0 when it may go ahead,
   * else the seconds until the key's lockout ends (answer 429 with that `retry_after`). The kernel's
   * clock drives it, so tests move lockouts with a ManualClock.
   */
  attempt(key: string): number
}

/** The kernel's `gateway-control` service: controls the running gateway. */
export interface GatewayControlService {
  /** ask the gateway to shut down gracefully (drain, stop plugins, exit 0) */
  requestShutdown(reason: string): void
}

/**
 * One mounted route as the kernel enforces it, for documentation (`GET /api/openapi.json`,
 * `revka routes`). A copy: changing it changes nothing in the gateway.
 */
export interface RouteInfo {
  /** the plugin that declared it */
  plugin: string
  /** the methods it answers, as declared (no implicit HEAD) */
  methods: import('./types.js').HttpMethod[]
  /** Fastify syntax (`/api/devices/:id`, `/workspace/*`), without the gateway's path prefix */
  url: string
  /**
   * who may call it: `provider` is a webhook verified by its own signature check (secret from
   * `secret`); otherwise any one of the surfaces lets a request in (`public` alone: anyone)
   */
  auth: import('./types.js').AuthSurfaceName[] | 'provider'
  /** for `provider` routes: where the secret comes from (names only, never the value) */
  secret?: import('./types.js').SecretSource
  /** bytes the kernel reads at most (413 beyond) */
  bodyLimit: number
  /** ms to receive the body and produce the response head: the route's own or the gateway's */
  timeoutMs: number
  /** requests per client per minute, when the route declares a limit */
  rateLimitPerMinute?: number
  /** a WebSocket upgrade route (GET) */
  websocket: boolean
  /** the subprotocol a WebSocket route selects */
  subprotocol?: string
  /** SSE and other long responses: the timeout covers only the response head */
  streaming: boolean
  /** `?token=` accepted besides the Authorization header */
  queryToken: boolean
  /** a bearer route that answers a caller with no credential (a public view) */
  anonymous: boolean
  /** the gateway's fallback page (`GET /*` for what no other route matched) */
  fallback: boolean
  /** JSON Schemas the kernel validates (400 on mismatch), as declared */
  schema?: { body?: object; query?: object; params?: object }
  description?: string
}

/** The kernel's route table, read-only (`KernelServices.routes`; list `route-table` under `requires`). */
export interface RouteTableService {
  /** the routes of enabled plugins (loaded, starting or started), in the order they were declared */
  list(): RouteInfo[]
}
