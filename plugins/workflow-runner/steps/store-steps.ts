/**
 * The graph/store step types (§7.4) on the domain store: `output` writes an item (new revision
 * tagged `entity_tag`, the rendered text as an artifact), `resolve` finds items by kind / tag /
 * name pattern and hands their metadata (and an artifact's text) to later steps, `tag` moves a tag
 * onto a revision (or takes it off), `deprecate` soft-hides an item.
 */
import { readFile } from 'node:fs/promises'
import { formatKref, itemKref, parseKref, parseSpacePath, slugify, type DomainStore, type Item, type Metadata } from '@revka/plugin-sdk'
import { asText, render, renderDeep } from '../interpolate.js'
import type { LeafExecutor } from '../step-runner.js'

export interface StoreSettings {
  store: () => DomainStore
  harness: () => string
}

const EXT: Record<string, string> = { text: 'txt', markdown: 'md', json: 'json', yaml: 'yaml' }
const ARTIFACT_TEXT_CAP = 64 * 1024
const RESOLVE_MAX = 50

function glob(pattern: string): RegExp {
  return new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    'i',
  )
}

export function outputExecutor(s: StoreSettings): LeafExecutor {
  return async ({ step, scope, run_id, workflow_name }) => {
    const cfg = step.config
    const format: string = cfg.format ?? 'text'
    const deps = step.depends_on.map((d) => scope.results[d]?.output ?? '').filter(Boolean)
    let content = cfg.template !== undefined ? render(String(cfg.template), scope) : deps.join('\n\n')
    if (format === 'json') {
      try {
        content = JSON.stringify(JSON.parse(content), null, 2)
      } catch {
        content = JSON.stringify({ content }, null, 2)
      }
    }
    const space = parseSpacePath(render(String(cfg.entity_space ?? `/${s.harness()}/WorkflowOutputs`), scope))
    const name = slugify(render(String(cfg.entity_name ?? `${workflow_name}-${run_id.slice(0, 12)}`), scope)) || `output-${run_id.slice(0, 12)}`
    const kind = slugify(String(cfg.entity_kind ?? 'workflow_output').replace(/_/g, '-')).replace(/-/g, '_') || 'workflow_output'
    const tag = String(cfg.entity_tag ?? 'ready')
    const extra = renderDeep(cfg.entity_metadata ?? {}, scope) as Record<string, unknown>
    const metadata: Metadata = {
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, asText(v)])),
      workflow: workflow_name,
      run_id,
      step_id: step.id,
      format,
    }
    const revision = { metadata, tags: [tag], artifacts: [{ name: `output.${EXT[format] ?? 'txt'}`, file: { content } }] }
    const kref = formatKref({ project: space.project, spaces: space.spaces, name, kind })
    const store = s.store()
    const existing = await store.getItem(kref)
    const rev = existing
      ? await store.createRevision(existing.kref, revision)
      : (await store.createItem({ space_path: space.path, item_name: name, kind, revision })).revision!
    return { output: content, output_data: { item_kref: kref, revision_kref: rev.kref, entity_name: name, entity_kind: kind, tag } }
  }
}

async function artifactText(store: DomainStore, revKref: string, name: string): Promise<string | undefined> {
  const art = await store.getArtifact(`${revKref}&a=${name}`)
  const path = art ? await store.containedArtifactPath(art.location) : null
  if (!path) return undefined
  const text = await readFile(path, 'utf8')
  return text.length > ARTIFACT_TEXT_CAP ? text.slice(0, ARTIFACT_TEXT_CAP) : text
}

export function resolveExecutor(s: StoreSettings): LeafExecutor {
  return async ({ step, scope }) => {
    const cfg = renderDeep(step.config, scope) as Record<string, any>
    const store = s.store()
    const space = parseSpacePath(String(cfg.space ?? `/${s.harness()}`)).path
    const tag = String(cfg.tag ?? 'published')
    const pattern = cfg.name_pattern ? glob(String(cfg.name_pattern)) : null
    const page = await store.listItems({ space_path: space, recursive: true, kinds: [String(cfg.kind)], sort: 'recent', limit: store.limits.maxPageSize })
    const items: Item[] = page.items.filter((i) => !pattern || pattern.test(i.item_name))
    const found: Array<Record<string, unknown>> = []
    for (const item of items) {
      if (found.length >= (cfg.mode === 'all' ? RESOLVE_MAX : 1)) break
      const rev = tag === 'latest' ? await store.currentRevision(item.kref, 'latest') : await store.getRevision(`${item.kref}?t=${tag}`)
      if (!rev) continue
      const fields: string[] | undefined = cfg.fields
      const metadata = fields ? Object.fromEntries(fields.filter((f) => f in rev.metadata).map((f) => [f, rev.metadata[f]])) : rev.metadata
      const entry: Record<string, unknown> = { item_kref: item.kref, name: item.item_name, revision_kref: rev.kref, ...metadata }
      if (cfg.artifact_name) entry.content = (await artifactText(store, rev.kref, String(cfg.artifact_name))) ?? ''
      found.push(entry)
    }
    if (!found.length && cfg.fail_if_missing === true)
      throw new Error(`no ${cfg.kind} item${cfg.name_pattern ? ` matching '${cfg.name_pattern}'` : ''} tagged '${tag}' in ${space}`)
    if (cfg.mode === 'all') return { output: JSON.stringify(found), output_data: { items: found, count: found.length } }
    return { output: JSON.stringify(found[0] ?? null), output_data: { ...(found[0] ?? {}), count: found.length } }
  }
}

export function tagExecutor(s: StoreSettings): LeafExecutor {
  return async ({ step, scope }) => {
    const raw = render(String(step.config.item_kref), scope)
    const tag = render(String(step.config.tag), scope)
    const store = s.store()
    const k = parseKref(raw)
    const rev = k.revision !== undefined ? await store.getRevision(raw) : await store.currentRevision(itemKref(k), 'latest')
    if (!rev) throw new Error(`no revision found for ${raw}`)
    const done = step.config.untag === true ? await store.untagRevision(rev.kref, tag) : await store.tagRevision(rev.kref, tag)
    return {
      output: `${step.config.untag === true ? 'untagged' : 'tagged'} ${done.kref} ${tag}`,
      output_data: { revision_kref: done.kref, tag, tags: done.tags },
    }
  }
}

export function deprecateExecutor(s: StoreSettings): LeafExecutor {
  return async ({ step, scope }) => {
    const kref = itemKref(render(String(step.config.item_kref), scope))
    const reason = render(String(step.config.reason ?? ''), scope)
    const item = await s.store().setItemDeprecated(kref, true)
    return { output: `deprecated ${item.kref}${reason ? `: ${reason}` : ''}`, output_data: { item_kref: item.kref, reason } }
  }
}
