/**
 * Artifacts of the Asset Browser (§11): create (a link to a location, or a file the domain store
 * writes under its artifact directory), deprecate, and edit content.
 *
 * Deliberate difference: the reference writes `write_file` artifacts to any path its workspace
 * policy allows. Here files are only ever written by the store, under its own artifact directory
 * (inside the state dir): `write_file` takes an empty location (the store picks the path, as the
 * reference does for an empty one) and refuses any other with 400. `validate_exists` accepts only
 * files inside that directory (403 otherwise), the same rule the artifact-body route serves by.
 */
import { formatKref, httpError, parseKref, type Artifact, type ArtifactInput, type DomainStore, type RouteAdder } from '@revka/plugin-sdk'
import { jsonBody, krefField, metadataField, optional, optionalBool, required, requiredBool } from './fields.js'
import { ASSET_LIMITS, MAX_EDIT_BYTES } from './limits.js'
import { checkLinkLocation } from './location.js'

function checkContentSize(content: string, what: string): void {
  if (Buffer.byteLength(content, 'utf8') > MAX_EDIT_BYTES) throw httpError(413, 'content_too_large', `${what} is limited to ${MAX_EDIT_BYTES} bytes`)
}

export function addArtifactRoutes(routes: RouteAdder, store: () => DomainStore, home: () => string | undefined): void {
  routes.add({
    method: 'POST',
    url: '/api/assets/artifacts',
    auth: 'bearer',
    ...ASSET_LIMITS,
    description: '{revision_kref, name, location, metadata?, content?, write_file?, overwrite?, validate_exists?} → {artifact}',
    handler: async (req) => {
      const b = jsonBody(req)
      const content = optional(b, 'content')
      if (content !== undefined) checkContentSize(content, 'artifact content')
      const revisionKref = krefField(b, 'revision_kref', 'revision kref')
      const name = required(b, 'name', 'artifact name')
      const location = optional(b, 'location')
      if (location === undefined) throw httpError(422, 'missing_field', 'location is required (location: string; may be empty with write_file)')
      const writeFile = optionalBool(b, 'write_file')
      const overwrite = optionalBool(b, 'overwrite')
      const validate = optionalBool(b, 'validate_exists')
      const metadata = metadataField(b) ?? {}
      const s = store()
      if (writeFile) {
        if (location.trim())
          throw httpError(400, 'location_with_write_file', 'with write_file, leave location empty: the store writes the file under its artifact directory')
        if (parseKref(revisionKref).revision === undefined)
          throw httpError(400, 'revision_selector_required', 'revision kref must include an exact r= revision selector')
        const input: ArtifactInput = {
          name,
          file: { content: content ?? '', overwrite },
          metadata: { storage: 'revka-workspace', generated_location: 'true', ...metadata },
        }
        return { artifact: await s.createArtifact(revisionKref, input) }
      }
      const link = await checkLinkLocation(s, location, home(), validate)
      return { artifact: await s.createArtifact(revisionKref, { name, location: link, metadata }) }
    },
  })

  routes.add({
    method: 'POST',
    url: '/api/assets/artifacts/deprecate',
    auth: 'bearer',
    ...ASSET_LIMITS,
    description: '{kref, deprecated} → {artifact}',
    handler: async (req) => {
      const b = jsonBody(req)
      const kref = krefField(b, 'kref', 'artifact kref')
      return { artifact: await store().setArtifactDeprecated(kref, requiredBool(b, 'deprecated')) }
    },
  })

  routes.add({
    method: 'PUT',
    url: '/api/assets/artifacts/content',
    auth: 'bearer',
    ...ASSET_LIMITS,
    description:
      '{artifact_kref, revision_kref, content} → {revision, artifact, created_revision, copied_artifacts}: in place, or a new revision when the revision is published',
    handler: async (req) => {
      const b = jsonBody(req)
      const content = b.content
      if (typeof content !== 'string') throw httpError(422, 'missing_field', 'content is required (content: string)')
      checkContentSize(content, 'artifact edits')
      const artifactKref = krefField(b, 'artifact_kref', 'artifact kref')
      const revisionKref = krefField(b, 'revision_kref', 'revision kref')
      const s = store()
      const revision = await s.getRevision(revisionKref)
      if (!revision) throw httpError(404, 'not_found', 'revision not found', { extra: { error_code: 'not_found' } })
      const artifact = await s.getArtifact(artifactKref)
      if (!artifact) throw httpError(404, 'not_found', 'artifact not found', { extra: { error_code: 'not_found' } })
      if (formatKref(parseKref(artifact.revision_kref)) !== formatKref(parseKref(revision.kref))) {
        throw httpError(400, 'artifact_not_in_revision', 'artifact does not belong to the selected revision')
      }
      if (!revision.published) {
        // only a file the store wrote is edited in place (400 from the store otherwise)
        const written = await s.writeArtifactFile(artifact.kref, { content, overwrite: true })
        return { revision, artifact: written, created_revision: false, copied_artifacts: 0 }
      }
      const sources = await s.listArtifacts(revision.kref)
      const artifacts: ArtifactInput[] = sources.map((a: Artifact) =>
        a.name === artifact.name
          ? { name: a.name, file: { content }, metadata: { ...a.metadata, edited_from_artifact: a.kref } }
          : { name: a.name, location: a.location, metadata: a.metadata },
      )
      const created = await s.createRevision(revision.item_kref, {
        metadata: { ...revision.metadata, edited_from_revision: revision.kref, edited_artifact: artifact.name, edited_by: 'revka-asset-browser' },
        artifacts,
      })
      const edited = (await s.listArtifacts(created.kref)).find((a) => a.name === artifact.name)!
      return { revision: created, artifact: edited, created_revision: true, copied_artifacts: sources.length }
    },
  })
}
