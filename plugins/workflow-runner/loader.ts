/**
 * Loading a workflow by name (§7.4 "Loading", with the definition routes' storage): the item of
 * kind `workflow` in `/<harness>/Workflows` whose item_name is the name or its slug, its
 * published-else-latest revision (the reference takes the latest; a published revision is what
 * the dashboard shows as current, so that is what runs), and that revision's `workflow.yaml`
 * artifact (else the first `.yaml`/`.yml` one, else the revision's `definition|workflow_yaml|content|yaml|body`
 * metadata) — the YAML text is the artifact's body, a file the store wrote.
 */
import { readFile } from 'node:fs/promises'
import { slugify, type DomainStore } from '@revka/plugin-sdk'

export const YAML_ARTIFACT = 'workflow.yaml'
/** the definition routes accept 16 MiB; nothing larger is read */
const MAX_YAML_BYTES = 16 * 1024 * 1024

export interface LoadedWorkflow {
  yaml: string
  item_kref: string
  revision_kref: string
}

export async function loadWorkflow(store: DomainStore, harness: string, name: string): Promise<LoadedWorkflow | null> {
  const names = [...new Set([name, slugify(name)])].filter((n) => n && !/[/\\?&#]/.test(n) && n !== '.' && n !== '..')
  for (const n of names) {
    // a name no kref can hold (spaces at its ends…) is simply not found
    const item = await store.getItem(`kref://${harness}/Workflows/${n}.workflow`).catch(() => null)
    if (!item || item.kind !== 'workflow') continue
    const rev = await store.currentRevision(item.kref)
    if (!rev) continue
    // workflow.yaml (what the definition routes write), else the first .yaml/.yml artifact, else the metadata (§7.4)
    const art =
      (await store.getArtifact(`${rev.kref}&a=${YAML_ARTIFACT}`)) ?? (await store.listArtifacts(rev.kref)).find((a) => /\.ya?ml$/i.test(a.name)) ?? null
    const path = art ? await store.containedArtifactPath(art.location) : null
    const m = rev.metadata
    const yaml = path ? await readFile(path, 'utf8') : (m.definition ?? m.workflow_yaml ?? m.content ?? m.yaml ?? m.body)
    if (yaml === undefined || Buffer.byteLength(yaml) > MAX_YAML_BYTES) continue
    return { yaml, item_kref: item.kref, revision_kref: rev.kref }
  }
  return null
}
