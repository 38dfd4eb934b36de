/**
 * The team graph check of §6: 400 `{error:"Team graph is invalid", validation_errors:[{code,
 * message}]}` for self edges, endpoints outside the members, A→B and B→A both DEPENDS_ON, and
 * cycles (Kahn's algorithm over DEPENDS_ON reversed, SUPPORTS and FEEDS_INTO; REPORTS_TO and
 * other types do not order work and are ignored).
 */
import { httpError } from '@revka/plugin-sdk'

export interface TeamEdge {
  from_kref: string
  to_kref: string
  edge_type: string
}
interface Problem {
  code: string
  message: string
}

export function validateTeamGraph(members: string[], edges: TeamEdge[]): void {
  const problems: Problem[] = []
  const set = new Set(members)
  const depends = new Set<string>()
  for (const e of edges) {
    const type = e.edge_type.toUpperCase()
    if (e.from_kref === e.to_kref) problems.push({ code: 'self_edge', message: `${e.from_kref} has an edge to itself` })
    for (const end of [e.from_kref, e.to_kref]) if (!set.has(end)) problems.push({ code: 'dangling_ref', message: `${end} is not a member of the team` })
    if (type === 'DEPENDS_ON') {
      if (depends.has(`${e.to_kref}\n${e.from_kref}`))
        problems.push({ code: 'reciprocal_depends', message: `${e.from_kref} and ${e.to_kref} depend on each other` })
      depends.add(`${e.from_kref}\n${e.to_kref}`)
    }
  }
  if (!problems.length && hasCycle(members, edges)) problems.push({ code: 'cycle', message: 'the team graph has a cycle' })
  if (problems.length) throw httpError(400, 'team_graph_invalid', 'Team graph is invalid', { extra: { validation_errors: problems } })
}

function hasCycle(members: string[], edges: TeamEdge[]): boolean {
  const next = new Map<string, string[]>(members.map((m) => [m, []]))
  const indegree = new Map<string, number>(members.map((m) => [m, 0]))
  for (const e of edges) {
    const type = e.edge_type.toUpperCase()
    // "A DEPENDS_ON B" means B comes first
    const [a, b] = type === 'DEPENDS_ON' ? [e.to_kref, e.from_kref] : type === 'SUPPORTS' || type === 'FEEDS_INTO' ? [e.from_kref, e.to_kref] : [null, null]
    if (a === null || b === null || a === b) continue
    next.get(a)!.push(b)
    indegree.set(b, indegree.get(b)! + 1)
  }
  const ready = members.filter((m) => indegree.get(m) === 0)
  let visited = 0
  while (ready.length) {
    const m = ready.pop()!
    visited++
    for (const n of next.get(m)!) {
      indegree.set(n, indegree.get(n)! - 1)
      if (indegree.get(n) === 0) ready.push(n)
    }
  }
  return visited < members.length
}
