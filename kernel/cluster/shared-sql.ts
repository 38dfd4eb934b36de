/**
 * The `shared-sql` kernel service (SDK `SharedSqlService`): the cluster's PostgreSQL pool lent to
 * plugins for the state every node must see. A lost engine is the route's 503 with retry_after,
 * never a 500: errors are sorted by where they came from — SQLSTATE classes 08 (connection) and
 * 57 (operator intervention: the server shutting down), or a Node socket error, mean PostgreSQL is
 * away; any other SQLSTATE is the statement's own fault and goes through unchanged.
 */
import { httpError, isHttpError, type SharedSqlService, type SqlMigration, type SqlQueryable, type SqlResult } from '@revka/plugin-sdk'
import { checkout, type PgPool } from './clients.js'
import { applyMigrations } from './migrations.js'

/** a plugin's migration namespace: its id, as the manifest allows them */
const NAMESPACE = /^[a-z0-9][a-z0-9-]{0,63}$/

export function isEngineLoss(e: unknown): boolean {
  if (!(e instanceof Error)) return false
  const code = (e as { code?: unknown }).code
  // a socket error: ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT…
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code.startsWith('08') || code.startsWith('57')
  // pg's own words for a pool that cannot connect or a connection that died under the query
  return /timeout exceeded when trying to connect|Connection terminated|connection error|not queryable/i.test(e.message)
}

export function unavailable(): Error {
  return httpError(503, 'cluster_unavailable', 'The shared state (PostgreSQL or Redis) cannot be reached right now; try again shortly', {
    retryAfter: 5,
  })
}

export class SharedSql implements SharedSqlService {
  constructor(
    private readonly pool: PgPool,
    readonly nodeId: string,
    /** told of every engine loss, so the node's probe notices at once */
    private readonly onLoss: (e: Error) => void,
  ) {}

  async query<R = Record<string, any>>(text: string, params?: unknown[]): Promise<SqlResult<R>> {
    return this.guard(async () => toResult<R>(await this.pool.query(text, params)))
  }

  async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    const client = await this.guard(() => checkout(this.pool))
    let broken = false
    // only the statements' errors are sorted: whatever fn throws of its own goes through as it is
    const run = async <R>(text: string, params?: unknown[]) => this.guard(async () => toResult<R>(await client.query(text, params)))
    try {
      await run('BEGIN')
      const out = await fn({ query: run })
      await run('COMMIT')
      return out
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        broken = true
      })
      throw e
    } finally {
      // a connection whose ROLLBACK failed is not handed to the next caller
      client.release(broken)
    }
  }

  async migrate(namespace: string, steps: ReadonlyArray<SqlMigration>): Promise<number[]> {
    if (!NAMESPACE.test(namespace)) throw new Error(`REVKA_ERR_CLUSTER_MIGRATE: "${namespace}" is not a migration namespace (a plugin id)`)
    return this.guard(() => applyMigrations(this.pool, namespace, steps, () => {}))
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      throw this.sorted(e)
    }
  }

  private sorted(e: unknown): unknown {
    if (isHttpError(e) || !isEngineLoss(e)) return e
    this.onLoss(e as Error)
    return unavailable()
  }
}

function toResult<R>(r: { rows: Array<Record<string, any>>; rowCount: number | null }): SqlResult<R> {
  return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 }
}
