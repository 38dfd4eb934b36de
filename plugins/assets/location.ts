/**
 * Locations of linked artifacts (§11): a remote URI (`scheme://`, not `file`) is kept as given;
 * anything else must be an absolute path or `~/…` (`~` expanded), keeping a `file://` prefix if
 * it had one. With `validate_exists`, a local file must exist inside the domain store's artifact
 * directory (resolved through symlinks by the store).
 */
import { lstatSync } from 'node:fs'
import { isAbsolute, normalize } from 'node:path'
import { httpError, type DomainStore } from '@revka/plugin-sdk'

const REMOTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//

export async function checkLinkLocation(s: DomainStore, raw: string, home: string | undefined, validate: boolean): Promise<string> {
  const trimmed = raw.trim()
  if (!trimmed) throw httpError(400, 'location_required', 'artifact location is empty')
  if (trimmed.includes('\0')) throw httpError(400, 'location_invalid', 'artifact location must not contain NUL')
  const scheme = REMOTE.exec(trimmed)?.[1]
  if (scheme && scheme.toLowerCase() !== 'file') return trimmed
  const fileUri = /^file:\/\//i.test(trimmed)
  let path = fileUri ? trimmed.slice('file://'.length) : trimmed
  if (path === '~' || path.startsWith('~/')) {
    if (!home) throw httpError(400, 'location_invalid', "cannot resolve '~': no home directory")
    path = home + path.slice(1)
  }
  if (!isAbsolute(path)) throw httpError(400, 'location_not_absolute', 'artifact location must be an absolute path')
  path = normalize(path)
  const location = fileUri ? `file://${path}` : path
  if (validate) {
    const root = s.artifactRoot.replace(/\/+$/, '')
    const inside = path === root || path.startsWith(`${root}/`)
    if (!inside) throw httpError(403, 'location_forbidden', 'artifact link validation path is outside the artifact directory')
    // the store resolves symlinks: a link inside that points out is refused like a path outside
    if (!(await s.containedArtifactPath(path))) {
      throw httpError(
        existsAt(path) ? 403 : 400,
        existsAt(path) ? 'location_forbidden' : 'artifact_file_missing',
        existsAt(path) ? 'artifact link validation path resolves outside the artifact directory or is not a regular file' : 'artifact file does not exist',
      )
    }
  }
  return location
}

function existsAt(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}
