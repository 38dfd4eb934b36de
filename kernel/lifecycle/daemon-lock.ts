/**
 * One daemon per state dir: `revka daemon` holds `<state>/kernel/daemon.lock` (created O_EXCL,
 * holding its pid) while it runs, so two daemons can never both fire the same cron job. A lock
 * left by a process that no longer exists (a SIGKILLed daemon) is stale and taken over; a live
 * holder refuses the start with REVKA_ERR_DAEMON_RUNNING naming its pid.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync, fsyncSync } from 'node:fs'
import { join } from 'node:path'
import { RevkaError } from '@revka/plugin-sdk'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: the process exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export class DaemonLock {
  private constructor(readonly path: string) {}

  static acquire(kernelDir: string): DaemonLock {
    const path = join(kernelDir, 'daemon.lock')
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600)
        writeSync(fd, `${process.pid}\n`)
        fsyncSync(fd)
        closeSync(fd)
        return new DaemonLock(path)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      let pid = NaN
      try {
        pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10)
      } catch {}
      // our own pid is a live holder too: a second daemon kernel in this process
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new RevkaError(
          'REVKA_ERR_DAEMON_RUNNING',
          `another revka daemon (pid ${pid}) is running on this state dir (${path}); stop it first (revka service stop, or kill ${pid})`,
        )
      }
      try {
        unlinkSync(path)
      } catch {} // stale: its process is gone
    }
    throw new RevkaError('REVKA_ERR_DAEMON_RUNNING', `could not take the daemon lock ${path}: another daemon is starting`)
  }

  release(): void {
    try {
      if (Number.parseInt(readFileSync(this.path, 'utf8'), 10) === process.pid) unlinkSync(this.path)
    } catch {}
  }
}
