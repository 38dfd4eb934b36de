/**
 * §12's fallback: a location that is not a readable file may still name an artifact whose body
 * was stored in metadata (base64, or text for text-like names). Workflow YAML is never served
 * this way (it is the workflow definition, read through the workflow routes).
 */
import { extname } from 'node:path'
import type { Artifact, DomainStore, Metadata } from '@revka/plugin-sdk'

const BASE64_KEYS = ['content_base64', 'data_base64', 'payload_base64', 'body_base64']
const TEXT_KEYS = ['content', 'body', 'text', 'markdown', 'procedure']
const TEXT_EXT = new Set([
  '.txt',
  '.md',
  '.markdown',
  '.json',
  '.yaml',
  '.yml',
  '.csv',
  '.tsv',
  '.html',
  '.htm',
  '.xml',
  '.log',
  '.toml',
  '.ini',
  '.js',
  '.ts',
  '.tsx',
  '.jsx',
  '.py',
  '.rs',
  '.go',
  '.java',
  '.c',
  '.h',
  '.cpp',
  '.sh',
  '.sql',
  '.css',
  '.svg',
])

export interface StoredBody {
  bytes: Buffer
  name: string
}

function isTextLike(a: Artifact): boolean {
  return a.name === 'chat_io' || TEXT_EXT.has(extname(a.name).toLowerCase()) || TEXT_EXT.has(extname(a.location).toLowerCase())
}

function fromMetadata(md: Metadata, textLike: boolean, extraText: string[] = []): Buffer | undefined {
  for (const k of BASE64_KEYS) if (md[k]) return Buffer.from(md[k], 'base64')
  if (textLike) for (const k of [...TEXT_KEYS, ...extraText]) if (typeof md[k] === 'string' && md[k]) return Buffer.from(md[k], 'utf8')
  return undefined
}

export async function storedBody(store: DomainStore, location: string): Promise<StoredBody | undefined> {
  const found = await store.findArtifactsByLocation(location, { include_deprecated: false })
  for (const a of found) {
    if (a.name === 'workflow.yaml' || a.item_kref.endsWith('.workflow')) continue
    const textLike = isTextLike(a)
    const own = fromMetadata(a.metadata, textLike)
    if (own) return { bytes: own, name: a.name }
    const rev = await store.getRevision(a.revision_kref)
    const inRevision = rev && fromMetadata(rev.metadata, textLike, ['definition'])
    if (inRevision) return { bytes: inRevision, name: a.name }
  }
  return undefined
}
