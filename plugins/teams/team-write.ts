/**
 * Team writes. A team is several store writes (the bundle and its revision, each member, each
 * edge), so everything that can be refused is checked first — the name, every member's
 * existence, the graph — and a write that still fails half-way is undone (the team's edges, then
 * the bundle, whose memberships cascade), so a refused create leaves nothing behind.
 * Team edges hang on the members' current revisions, as in the reference, but carry the team's
 * kref in their metadata: reads find them across later revisions of the agents, and an update or
 * delete touches only this team's edges (the reference deletes every outgoing edge of every
 * member — quirk not copied).
 */
import { domainError, httpError, isSafeSegment, itemKrefParam, type DomainStore, type Item } from '@revka/plugin-sdk'
import { validateTeamGraph, type TeamEdge } from './team-graph.js'
import { teamMetadata, type TeamBody } from './team-shape.js'

export interface Plan {
  members: string[]
  edges: TeamEdge[]
}

/** Normalised members and edges; 404 for a member that is not an item, 400 for a bad graph. */
export async function planTeam(store: DomainStore, b: TeamBody): Promise<Plan> {
  const members = [...new Set((b.members ?? []).map(itemKrefParam))]
  for (const m of members) if (!(await store.getItem(m))) throw domainError('not_found', `member not found: ${m}`)
  const edges = (b.edges ?? []).map((e) => ({ from_kref: itemKrefParam(e.from_kref), to_kref: itemKrefParam(e.to_kref), edge_type: e.edge_type }))
  validateTeamGraph(members, edges)
  return { members, edges }
}

export function checkTeamName(name: string): string {
  const n = name.trim()
  if (!isSafeSegment(n)) throw httpError(400, 'invalid_name', 'name must be non-empty and hold no "/", "\\", "?", "&", "#" or control characters')
  return n
}

async function addEdges(store: DomainStore, team: string, edges: TeamEdge[]): Promise<void> {
  for (const e of edges) {
    const [from, to] = await Promise.all([store.currentRevision(e.from_kref), store.currentRevision(e.to_kref)])
    // a member without any revision has nothing to hang an edge on
    if (!from || !to) throw httpError(400, 'member_without_revision', `${!from ? e.from_kref : e.to_kref} has no revision to connect`)
    await store.createEdge({ source_kref: from.kref, target_kref: to.kref, edge_type: e.edge_type, metadata: { team } })
  }
}

async function removeEdges(store: DomainStore, team: string, members: string[]): Promise<void> {
  if (!members.length) return
  for (const e of await store.listEdges({ kref: members, direction: 'outgoing' })) {
    if (e.metadata.team === team) await store.deleteEdge(e.source_kref, e.target_kref, e.edge_type)
  }
}

export async function createTeam(store: DomainStore, space: string, b: TeamBody, by: string | undefined): Promise<Item> {
  const name = checkTeamName(b.name)
  const plan = await planTeam(store, b)
  const { item } = await store.createItem({
    space_path: space,
    item_name: name,
    kind: 'bundle',
    metadata: b.description ? { description: b.description } : {},
    revision: { metadata: teamMetadata(b, plan.members, plan.edges.length, null, false), tags: ['published'] },
  })
  try {
    for (const m of plan.members) await store.addBundleMember(item.kref, m, { added_by: by })
    await addEdges(store, item.kref, plan.edges)
  } catch (e) {
    await removeEdges(store, item.kref, plan.members).catch(() => {})
    await store.deleteItem(item.kref).catch(() => {})
    throw e
  }
  return item
}

export async function updateTeam(store: DomainStore, item: Item, b: TeamBody, by: string | undefined): Promise<void> {
  checkTeamName(b.name)
  const plan = await planTeam(store, b)
  const old = (await store.listBundleMembers(item.kref)).members.map((m) => m.item_kref)
  const current = await store.currentRevision(item.kref)
  await store.createRevision(item.kref, { metadata: teamMetadata(b, plan.members, plan.edges.length, current, true), tags: ['published'] })
  await removeEdges(store, item.kref, [...new Set([...old, ...plan.members])])
  for (const m of old) if (!plan.members.includes(m)) await store.removeBundleMember(item.kref, m)
  for (const m of plan.members) if (!old.includes(m)) await store.addBundleMember(item.kref, m, { added_by: by })
  await addEdges(store, item.kref, plan.edges)
}

export async function deleteTeam(store: DomainStore, item: Item): Promise<void> {
  const members = (await store.listBundleMembers(item.kref)).members.map((m) => m.item_kref)
  await removeEdges(store, item.kref, members)
  await store.deleteItem(item.kref)
}
