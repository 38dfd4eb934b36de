/**
 * One terminal: a PTY bound to one WebSocket for as long as both live.
 *   client → server: text or binary frames are keystrokes; a text frame that is exactly
 *                    `{"type":"resize","cols","rows"}` resizes the PTY instead
 *   server → client: PTY output as text frames (decoded as UTF-8, lossy)
 * The PTY dies with the socket (SIGHUP, then SIGKILL if it lingers) and the socket closes when the
 * PTY exits. Output is not buffered without bound: while the socket's send buffer is over a high
 * mark the PTY is paused, which blocks the program writing to it.
 */
import type { Logger, RevkaSocket } from '@revka/plugin-sdk'
import type { PtyProcess, PtySpawn } from './pty-loader.js'
import { clampCols, clampRows, type SpawnSpec } from './spawn-spec.js'

const HIGH_WATER = 1024 * 1024
const LOW_WATER = 256 * 1024
const DRAIN_POLL_MS = 25
const KILL_GRACE_MS = 2000

export const red = (text: string) => `\x1b[31m${text}\x1b[0m\r\n`

export interface Terminal {
  readonly pid: number
  /** resolves once the PTY's process has exited */
  readonly exited: Promise<void>
  kill(): void
}

function parseResize(text: string): { cols: unknown; rows: unknown } | undefined {
  // cheap test first: keystrokes are almost never JSON
  if (!text.startsWith('{') || !text.includes('"resize"')) return undefined
  try {
    const v = JSON.parse(text)
    return v && typeof v === 'object' && v.type === 'resize' ? v : undefined
  } catch {
    return undefined
  }
}

export function openTerminal(socket: RevkaSocket, spawn: PtySpawn, spec: SpawnSpec, log: Logger): Terminal {
  const pty: PtyProcess = spawn(spec.file, spec.args, {
    name: 'xterm-256color',
    cols: spec.cols,
    rows: spec.rows,
    cwd: spec.cwd,
    env: spec.env,
    encoding: 'utf8',
  })
  let cols = spec.cols
  let rows = spec.rows
  let alive = true
  let paused = false
  let drainTimer: NodeJS.Timeout | undefined
  let killTimer: NodeJS.Timeout | undefined
  let markExited!: () => void
  const exited = new Promise<void>((r) => {
    markExited = r
  })

  const waitForDrain = () => {
    drainTimer = setTimeout(() => {
      drainTimer = undefined
      if (!alive) return
      if (socket.bufferedAmount > LOW_WATER) return waitForDrain()
      paused = false
      pty.resume()
    }, DRAIN_POLL_MS)
  }

  pty.onData((data) => {
    if (socket.readyState !== 1) return
    socket.send(data)
    if (!paused && socket.bufferedAmount > HIGH_WATER) {
      paused = true
      pty.pause()
      waitForDrain()
    }
  })

  pty.onExit(({ exitCode, signal }) => {
    alive = false
    clearTimeout(drainTimer)
    clearTimeout(killTimer)
    markExited()
    log.debug({ pid: pty.pid, exitCode, signal }, 'terminal process exited')
    if (socket.readyState === 1) socket.close(1000, 'process exited')
  })

  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (!alive) return
    // binary frames go in as bytes: a multi-byte character split across frames stays intact
    if (isBinary) return pty.write(data)
    const text = data.toString('utf8')
    const r = parseResize(text)
    if (r) {
      cols = clampCols(r.cols, cols)
      rows = clampRows(r.rows, rows)
      try {
        pty.resize(cols, rows)
      } catch {
        /* the process is exiting */
      }
      return
    }
    pty.write(text)
  })

  const kill = () => {
    if (!alive || killTimer) return
    try {
      pty.kill('SIGHUP')
    } catch {}
    // a program that ignores the hangup does not outlive its terminal
    killTimer = setTimeout(() => {
      if (alive)
        try {
          pty.kill('SIGKILL')
        } catch {}
    }, KILL_GRACE_MS)
  }
  socket.on('close', kill)
  return { pid: pty.pid, exited, kill }
}
