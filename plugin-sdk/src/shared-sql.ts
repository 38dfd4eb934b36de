/**
 * `shared-sql` (issue 18): in cluster mode (`[cluster]`) the kernel lends plugins its PostgreSQL
 * pool, so a plugin keeps the state every node must see (sessions, ledgers, profiles, jobs) in one
 * place instead of its own SQLite file. The service is absent on a single node — list it under
 * `uses` (not `requires`) and keep the SQLite store there. One pool serves the whole node: a plugin
 * names its tables after itself (`<plugin>_…`, letters, digits and `_`) and creates them with
 * `migrate`, never with ad-hoc DDL at request time.
 *
 * Errors: when PostgreSQL cannot be reached, every call rejects with httpError 503
 * `cluster_unavailable` (with `retryAfter`), which a route may simply let through — the node is
 * degraded, not broken, and `/health` says so. SQL errors (a constraint, a typo) reject as they are.
 */

/** What a query answers: the rows, and how many rows the statement touched. */
export interface SqlResult<R = Record<string, any>> {
  rows: R[]
  rowCount: number
}

/** Run one statement with `$1…$n` parameters (never interpolate values into the text). */
export interface SqlQueryable {
  query<R = Record<string, any>>(text: string, params?: unknown[]): Promise<SqlResult<R>>
}

/** One numbered schema step of a plugin; append new steps, never edit an applied one. */
export interface SqlMigration {
  id: number
  name: string
  sql: string
}

/** The `shared-sql` kernel service (`KernelServices.sharedSql`), present only in cluster mode. */
export interface SharedSqlService extends SqlQueryable {
  /** this node's `[cluster] node_id` */
  readonly nodeId: string
  /**
   * Run `fn` in one transaction on one connection: committed when it resolves, rolled back when it
   * throws (the error is rethrown). Keep it short: it holds a pooled connection.
   */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>
  /**
   * Apply `namespace`'s steps that are not applied yet, each in its own transaction, under the
   * cluster's migration lock: nodes starting together take turns, and each step runs once in the
   * cluster. Resolves with the ids applied now. Call it from the plugin's setup.
   */
  migrate(namespace: string, steps: ReadonlyArray<SqlMigration>): Promise<number[]>
}
