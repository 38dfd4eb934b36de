/**
 * Where an artifact body may be read from: a `location` (absolute path or `file://` URI) resolves
 * to a file only when its real path — every symlink resolved — lies inside the domain store's
 * artifact directory, which itself lies inside the gateway's state dir. The file is then opened
 * without following a final symlink and checked once more through its descriptor, so a path
 * swapped for a symlink between the check and the open is still refused.
 */
import { constants, promises as fsp } from 'node:fs'
import { isAbsolute, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

export const MAX_BODY_BYTES = 256 * 1024 * 1024

export type Located =
  | { kind: 'file'; fd: fsp.FileHandle; path: string; size: number }
  | { kind: 'invalid'; message: string }
  | { kind: 'missing'; path: string; message: string }
  | { kind: 'forbidden'; message: string }
  | { kind: 'not_file'; message: string }
  | { kind: 'too_large'; size: number }

/** `file://` stripped (percent-decoded as a URI), `~/` expanded; undefined when not a usable path. */
export function toPath(location: string, home: string | undefined): string | undefined {
  if (!location || location.includes('\0')) return undefined
  let p = location
  if (/^file:/i.test(p)) {
    try {
      p = fileURLToPath(p)
    } catch {
      return undefined
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) return undefined
  if (p === '~' || p.startsWith('~/')) {
    if (!home) return undefined
    p = home + p.slice(1)
  }
  return isAbsolute(p) ? p : undefined
}

function inside(child: string, root: string): boolean {
  return child === root || child.startsWith(root.endsWith(sep) ? root : root + sep)
}

/**
 * The real root: the artifact dir, and only while it is inside the state dir (`inState` is
 * `api.gateway.stateOverlap(dir) === 'inside'`, which resolves symlinks).
 */
export async function realRoot(artifactRoot: string, inState: (dir: string) => boolean): Promise<string | undefined> {
  try {
    const root = await fsp.realpath(artifactRoot)
    return inState(root) ? root : undefined
  } catch {
    return undefined
  }
}

export async function locate(location: string, root: string | undefined, home: string | undefined): Promise<Located> {
  const path = toPath(location, home)
  if (!path) return { kind: 'invalid', message: 'artifact location must be an absolute path or file:// URI' }
  if (!root) return { kind: 'forbidden', message: 'the artifact directory is not available' }
  // lexical check first: a path outside the root is refused without touching the disk, so the
  // answer never tells whether a file exists there
  if (!inside(resolve(path), root)) return { kind: 'forbidden', message: 'artifact location is outside the artifact directory' }
  let real: string
  try {
    real = await fsp.realpath(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
      return { kind: 'missing', path, message: (e as Error).message }
    return { kind: 'forbidden', message: 'artifact location cannot be resolved' }
  }
  if (!inside(real, root)) return { kind: 'forbidden', message: 'artifact location resolves outside the artifact directory' }
  let fd: fsp.FileHandle
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
    fd = await fsp.open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing', path, message: (e as Error).message }
    return { kind: 'forbidden', message: 'artifact location cannot be opened' }
  }
  try {
    const opened = await openedPath(fd)
    if (opened !== undefined && !inside(opened, root))
      throw Object.assign(new Error('moved'), { located: { kind: 'forbidden', message: 'artifact location resolves outside the artifact directory' } })
    const st = await fd.stat()
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { located: { kind: 'not_file', message: 'artifact location is not a regular file' } })
    if (st.size > MAX_BODY_BYTES) throw Object.assign(new Error('too large'), { located: { kind: 'too_large', size: st.size } })
    return { kind: 'file', fd, path: real, size: st.size }
  } catch (e) {
    await fd.close().catch(() => {})
    const located = (e as { located?: Located }).located
    if (located) return located
    throw e
  }
}

/** The path the kernel has for an open descriptor (Linux /proc); undefined where unavailable. */
async function openedPath(fd: fsp.FileHandle): Promise<string | undefined> {
  try {
    return await fsp.readlink(`/proc/self/fd/${fd.fd}`)
  } catch {
    return undefined
  }
}
