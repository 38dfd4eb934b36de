/** Jobs the cluster cron tests (test/cluster/cluster.cron*.test.ts) create through the API. */

/** a 6-field expression (UTC) for the one second `at`: it fires there, then not before next year */
export function secondOf(at: number): string {
  const d = new Date(at)
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`
}

/** a shell job (argv, no shell) appending `ran` to `out` */
export function appendJob(out: string, schedule: string, name: string): Record<string, unknown> {
  return {
    name,
    schedule,
    timezone: 'UTC',
    job_type: 'shell',
    command: 'append a line',
    argv: [process.execPath, '-e', `require('node:fs').appendFileSync(${JSON.stringify(out)}, 'ran\\n')`],
  }
}
