/**
 * Runs, their per-step results and the engine's checkpoint, in SQLite (better-sqlite3, WAL) in
 * the plugin's private dir. A step's result and the checkpoint are written in one transaction
 * after every step, so a process killed at any moment leaves the run at a step boundary.
 * `synchronous=NORMAL` in WAL mode survives a killed process (not a power cut), which is the
 * failure this file guards against. History is bounded: the oldest terminal runs are pruned.
 */
import Database from 'better-sqlite3'
import { RevkaError } from '@revka/plugin-sdk'
import type { StepResult } from './model.js'

export const TERMINAL = ['completed', 'failed', 'cancelled']

export interface RunRequestInfo {
  inputs: Record<string, unknown>
  cwd?: string
  target_step_id?: string
  source: string
  workflow_item_kref?: string
  workflow_revision_kref?: string
}

/** The engine's control state besides the step results (what a resume needs). */
export interface Checkpoint {
  goto_counts: Record<string, number>
  reject_counts: Record<string, number>
  rejection?: { feedback: string; count: number }
  paused?: { step_id: string; kind: 'human_approval' | 'human_input'; since: number; expires_at?: number }
  loop_iteration: number
  /** steps executed so far (retries, loop passes and nested steps count): the per-run quota */
  steps_executed: number
  /** a step-result write counter; resumes know how far the run got */
  seq: number
  /** ms the run has executed (max_total_time counts execution, not time paused or down) */
  elapsed_ms?: number
  /** the step whose failure failed the run (retry starts there) */
  failed_step?: string
}

export interface RunRow {
  run_id: string
  workflow_name: string
  status: string
  created_at: string
  started_at: string
  completed_at: string
  error: string
  yaml: string
  request: RunRequestInfo
  steps_total: number
  steps_completed: number
  checkpoint: Checkpoint
  restarts: number
}

export const emptyCheckpoint = (): Checkpoint => ({ goto_counts: {}, reject_counts: {}, loop_iteration: 0, steps_executed: 0, seq: 0 })

export class RunStore {
  private readonly db: Database.Database
  constructor(path: string) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('busy_timeout = 5000')
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS runs (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL UNIQUE, workflow_name TEXT NOT NULL, status TEXT NOT NULL,
        created_at TEXT NOT NULL, started_at TEXT NOT NULL DEFAULT '', completed_at TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '', yaml TEXT NOT NULL, request TEXT NOT NULL,
        steps_total INTEGER NOT NULL DEFAULT 0, steps_completed INTEGER NOT NULL DEFAULT 0,
        checkpoint TEXT NOT NULL, restarts INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS runs_status ON runs(status);
      CREATE INDEX IF NOT EXISTS runs_workflow ON runs(workflow_name);
      CREATE TABLE IF NOT EXISTS steps (
        run_id TEXT NOT NULL, step_id TEXT NOT NULL, n INTEGER NOT NULL, result TEXT NOT NULL,
        PRIMARY KEY (run_id, step_id));`)
  }

  close(): void {
    this.db.close()
  }

  private row(r: any): RunRow {
    return { ...r, request: JSON.parse(r.request), checkpoint: JSON.parse(r.checkpoint) }
  }

  /**
   * Record a new run; when `maxHistory` runs are stored, the oldest terminal ones go first (their
   * ids are returned so their logs go too). All runs still live → REVKA_ERR_RUN_QUOTA.
   */
  insert(run: Omit<RunRow, 'restarts'>, maxHistory: number): string[] {
    return this.db.transaction(() => {
      const count = (this.db.prepare('SELECT COUNT(*) c FROM runs').get() as { c: number }).c
      let pruned: string[] = []
      if (count >= maxHistory) {
        pruned = (
          this.db
            .prepare(`SELECT run_id FROM runs WHERE status IN ('completed','failed','cancelled') ORDER BY n LIMIT ?`)
            .all(count - maxHistory + 1) as Array<{ run_id: string }>
        ).map((r) => r.run_id)
        if (count - pruned.length >= maxHistory) {
          throw new RevkaError(
            'REVKA_ERR_RUN_QUOTA',
            `the run history holds ${count} runs and none has finished (max_run_history ${maxHistory}); cancel or delete a run first`,
          )
        }
        for (const id of pruned) this.deleteRow(id)
      }
      this.db
        .prepare(
          `INSERT INTO runs (run_id, workflow_name, status, created_at, started_at, completed_at, error, yaml, request, steps_total, steps_completed, checkpoint)
        VALUES (@run_id, @workflow_name, @status, @created_at, @started_at, @completed_at, @error, @yaml, @request, @steps_total, @steps_completed, @checkpoint)`,
        )
        .run({ ...run, request: JSON.stringify(run.request), checkpoint: JSON.stringify(run.checkpoint) })
      return pruned
    })()
  }

  update(
    runId: string,
    f: Partial<Pick<RunRow, 'status' | 'started_at' | 'completed_at' | 'error' | 'steps_total' | 'steps_completed' | 'checkpoint' | 'restarts'>>,
  ): void {
    const keys = Object.keys(f) as Array<keyof typeof f>
    if (!keys.length) return
    const vals: Record<string, unknown> = { run_id: runId }
    for (const k of keys) vals[k] = k === 'checkpoint' ? JSON.stringify(f[k]) : f[k]
    this.db.prepare(`UPDATE runs SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE run_id = @run_id`).run(vals)
  }

  /** a step's result and the checkpoint, in one transaction */
  putStep(runId: string, stepId: string, result: StepResult, cp: Checkpoint, stepsCompleted: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO steps (run_id, step_id, n, result) VALUES (?, ?, ?, ?) ON CONFLICT(run_id, step_id) DO UPDATE SET result = excluded.result, n = excluded.n',
        )
        .run(runId, stepId, cp.seq, JSON.stringify(result))
      this.db.prepare('UPDATE runs SET checkpoint = ?, steps_completed = ? WHERE run_id = ?').run(JSON.stringify(cp), stepsCompleted, runId)
    })()
  }

  clearSteps(runId: string, stepIds: string[]): void {
    const del = this.db.prepare('DELETE FROM steps WHERE run_id = ? AND step_id = ?')
    this.db.transaction(() => {
      for (const id of stepIds) del.run(runId, id)
    })()
  }

  get(runId: string): RunRow | undefined {
    const r = this.db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId)
    return r ? this.row(r) : undefined
  }

  /** step results in the order they were written */
  steps(runId: string): Array<{ step_id: string; result: StepResult }> {
    return (this.db.prepare('SELECT step_id, result FROM steps WHERE run_id = ? ORDER BY n').all(runId) as Array<{ step_id: string; result: string }>).map(
      (r) => ({ step_id: r.step_id, result: JSON.parse(r.result) }),
    )
  }

  list(limit: number, workflow?: string): RunRow[] {
    const rows = workflow
      ? this.db.prepare('SELECT * FROM runs WHERE workflow_name = ? ORDER BY n DESC LIMIT ?').all(workflow, limit)
      : this.db.prepare('SELECT * FROM runs ORDER BY n DESC LIMIT ?').all(limit)
    return rows.map((r) => this.row(r))
  }

  counts(): { total: number; active: number } {
    const r = this.db.prepare(`SELECT COUNT(*) total, COALESCE(SUM(status NOT IN ('completed','failed','cancelled')), 0) active FROM runs`).get() as {
      total: number
      active: number
    }
    return { total: r.total, active: r.active }
  }

  /** runs a dead process left `pending` or `running` */
  unfinished(): RunRow[] {
    return this.db
      .prepare(`SELECT * FROM runs WHERE status IN ('pending','running') ORDER BY n`)
      .all()
      .map((r) => this.row(r))
  }

  paused(): RunRow[] {
    return this.db
      .prepare(`SELECT * FROM runs WHERE status = 'paused' ORDER BY n`)
      .all()
      .map((r) => this.row(r))
  }

  private deleteRow(runId: string): void {
    this.db.prepare('DELETE FROM steps WHERE run_id = ?').run(runId)
    this.db.prepare('DELETE FROM runs WHERE run_id = ?').run(runId)
  }

  delete(runId: string): boolean {
    return this.db.transaction(() => {
      const had = !!this.db.prepare('SELECT 1 FROM runs WHERE run_id = ?').get(runId)
      if (had) this.deleteRow(runId)
      return had
    })()
  }
}
