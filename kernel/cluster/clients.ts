/**
 * The two engine clients — `pg` (a pool, plus one connection that LISTENs) and `ioredis` (two
 * connections: commands, and the blocking stream reader) — loaded only here, through importModule, and only when `[cluster]`
 * is configured: a single-node gateway never loads either library. The types below are the small
 * part of each library the cluster backends use (the packages ship no types this repo installs).
 */
import { importModule } from '../registry/import-module.js'

export interface PgResult {
  rows: Array<Record<string, any>>
  rowCount: number | null
}
export interface PgClient {
  query(sql: string, params?: unknown[]): Promise<PgResult>
  release(err?: Error | boolean): void
  on(event: 'error', fn: (err: Error) => void): void
  removeListener(event: 'error', fn: (err: Error) => void): void
}
/** a connection of its own, for LISTEN: a pooled one would be handed back and stop listening */
export interface PgListener {
  connect(): Promise<void>
  query(sql: string, params?: unknown[]): Promise<PgResult>
  end(): Promise<void>
  on(event: 'notification', fn: (msg: { channel: string; payload?: string }) => void): void
  on(event: 'error' | 'end', fn: (err?: Error) => void): void
}
export interface PgPool {
  query(sql: string, params?: unknown[]): Promise<PgResult>
  connect(): Promise<PgClient>
  end(): Promise<void>
  on(event: 'error', fn: (err: Error) => void): void
}

export interface RedisClient {
  status: string
  on(event: string, fn: (...args: any[]) => void): this
  once(event: string, fn: (...args: any[]) => void): this
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  xread(...args: Array<string | number>): Promise<Array<[string, Array<[string, string[]]>]> | null>
  xrevrange(key: string, end: string, start: string, count: 'COUNT', n: number): Promise<Array<[string, string[]]>>
  ping(): Promise<string>
  pttl(key: string): Promise<number>
  del(...keys: string[]): Promise<number>
  quit(): Promise<unknown>
  disconnect(): void
  /** a new connection with the same options (a subscribed connection takes no other commands) */
  duplicate(): RedisClient
  subscribe(channel: string): Promise<unknown>
}

export interface Engines {
  pool: PgPool
  /** a new unpooled connection (not yet connected) for LISTEN */
  listener(): PgListener
  /** commands (EVAL, XREVRANGE, PTTL, DEL) */
  redis: RedisClient
  /** XREAD BLOCK only: a blocked connection takes no other commands */
  reader: RedisClient
}

/** how long a query may wait for a pooled connection before the route answers 503 */
const PG_CONNECT_TIMEOUT_MS = 2000

export async function openEngines(postgresUrl: string, redisUrl: string, onPgError: (err: Error) => void): Promise<Engines> {
  const [pg, ioredis] = await Promise.all([importModule('pg'), importModule('ioredis')])
  const Pool = pg.Pool ?? pg.default?.Pool
  const Client = pg.Client ?? pg.default?.Client
  const Redis = ioredis.Redis ?? ioredis.default
  const pool: PgPool = new Pool({ connectionString: postgresUrl, max: 10, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS, idleTimeoutMillis: 30_000 })
  // an idle pooled connection that dies (engine restarted) emits here; unhandled it would crash the node
  pool.on('error', onPgError)
  const redisOpts = {
    // reconnect forever, backing off to 1 s: the node degrades while Redis is away and recovers alone
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
    // a command on a dead connection fails after one retry instead of hanging a request
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  }
  const redis: RedisClient = new Redis(redisUrl, redisOpts)
  // a blocked XREAD must never be retried into a second parallel read
  const reader: RedisClient = new Redis(redisUrl, { ...redisOpts, maxRetriesPerRequest: 0 })
  for (const c of [redis, reader]) c.on('error', () => {}) // state is read from status; reconnect is automatic
  try {
    await Promise.all([redis, reader].map((c) => (c as any).connect()))
  } catch (e) {
    // a refused start must not leave reconnect timers holding the process open
    for (const c of [redis, reader]) c.disconnect()
    await pool.end().catch(() => {})
    throw e
  }
  const listener = (): PgListener => new Client({ connectionString: postgresUrl, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS })
  return { pool, listener, redis, reader }
}

/**
 * A pooled connection for several statements (a transaction, the migration lock). While it is out
 * of the pool nothing listens for its errors, and pg reports a connection lost between two
 * statements as an 'error' event, which unheard would crash the node. Heard here, it is dropped:
 * the caller's next statement on the dead connection fails, and that failure is what it handles.
 */
export async function checkout(pool: PgPool): Promise<PgClient> {
  const client = await pool.connect()
  const ignore = () => {}
  client.on('error', ignore)
  const release = client.release.bind(client)
  client.release = (err?: Error | boolean) => {
    client.removeListener('error', ignore)
    release(err)
  }
  return client
}

export async function closeEngines(e: Engines): Promise<void> {
  // the reader is usually blocked in XREAD: disconnect rather than wait for QUIT behind it
  e.reader.disconnect()
  await e.redis.quit().catch(() => {})
  await e.pool.end().catch(() => {})
}
