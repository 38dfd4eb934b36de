/**
 * First-start seed (§2): the projects and spaces the reference dashboard expects, so its lists
 * are empty rather than 404. Names come from `[kumiho] harness_project` / `memory_project`.
 * Ensuring is idempotent, so this runs on every start and also repairs a deleted space.
 */
import type { DomainStore } from '@revka/plugin-sdk'

export const HARNESS_SPACES = ['AgentPool', 'Teams', 'Workflows', 'WorkflowRuns', 'WorkflowRunRequests']
export const MEMORY_SPACES = ['Skills']

export interface SeedNames {
  harness: string
  memory: string
}

export async function seed(store: DomainStore, names: SeedNames): Promise<void> {
  for (const s of HARNESS_SPACES) await store.ensureSpace(`/${names.harness}/${s}`)
  for (const s of MEMORY_SPACES) await store.ensureSpace(`/${names.memory}/${s}`)
}
