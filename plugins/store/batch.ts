/**
 * Reads over many krefs in a fixed number of statements. The krefs travel as one JSON array bound
 * to a single parameter and are unpacked by `json_each`, so each read shape is ONE prepared (and
 * cached) statement whatever the number of krefs — an `IN (?, ?, …)` list would be a new SQL text,
 * hence a new preparation, for every list length, and a per-kref loop costs a round trip each.
 */
import { formatKref, parseKref, type Edge, type Kref, type Revision, type RevisionChoice } from '@revka/plugin-sdk'
import type { Core, ItemRow, RevisionRow } from './core.js'
import { REVISION_COLUMNS } from './core.js'
import type { StoreRules } from './rules.js'

type ItemKey = Pick<ItemRow, 'space_path' | 'item_name' | 'kind'>

/** (space_path, item_name, kind) of each kref, in the JSON shape the statements below unpack. */
function itemKeys(ks: Kref[]): string {
  return JSON.stringify(ks.map((k) => ['/' + [k.project, ...k.spaces].join('/'), k.name, k.kind]))
}

/** joins `json_each(?) j` (an array of [space_path, item_name, kind, selector?]) to its items */
const ITEMS_OF_KEYS = `json_each(?) j JOIN items i
  ON i.space_path = json_extract(j.value, '$[0]') AND i.item_name = json_extract(j.value, '$[1]') AND i.kind = json_extract(j.value, '$[2]')`

const LATEST_ID = '(SELECT id FROM revisions WHERE item_id = i.id ORDER BY number DESC LIMIT 1)'
const PICK: Record<RevisionChoice, string> = {
  latest: LATEST_ID,
  'published-or-latest': `COALESCE((SELECT revision_id FROM tags WHERE item_id = i.id AND tag = 'published'), ${LATEST_ID})`,
}

/** The current revision of each item kref (null for a missing item or an item without revisions). */
export function currentRevisions(c: Core, krefs: string[], choice: RevisionChoice = 'published-or-latest'): Map<string, Revision | null> {
  const out = new Map<string, Revision | null>()
  // every kref is parsed before anything is read: a malformed one refuses the whole call
  const ks = krefs.map((k) => parseKref(k))
  for (const k of krefs) out.set(k, null)
  if (!ks.length) return out
  const pick = PICK[choice] ?? PICK['published-or-latest']
  const rows = c
    .stmt(
      `SELECT want.idx AS idx, ${REVISION_COLUMNS}
    FROM (SELECT j.key AS idx, ${pick} AS rev_id FROM ${ITEMS_OF_KEYS}) want
    JOIN revisions r ON r.id = want.rev_id`,
    )
    .all(itemKeys(ks)) as Array<RevisionRow & { idx: number }>
  for (const r of rows) {
    const k = ks[r.idx]
    const item: ItemKey = { space_path: '/' + [k.project, ...k.spaces].join('/'), item_name: k.name, kind: k.kind }
    out.set(krefs[r.idx], c.revision(item, r))
  }
  return out
}

/**
 * Revision ids the krefs stand for: the selected revision with `?r=`/`?t=`, every revision of the
 * item without a selector. One statement per selector shape present.
 */
export function revisionIdsOf(c: Core, krefs: string[]): number[] {
  const byNumber: Kref[] = []
  const byTag: Kref[] = []
  const latest: Kref[] = []
  const all: Kref[] = []
  for (const kref of krefs) {
    const k = parseKref(kref)
    if (k.revision !== undefined) byNumber.push(k)
    else if (k.tag === undefined) all.push(k)
    else if (k.tag === 'latest') latest.push(k)
    else byTag.push(k)
  }
  const withSel = (ks: Kref[], sel: (k: Kref) => unknown) => JSON.stringify(ks.map((k) => ['/' + [k.project, ...k.spaces].join('/'), k.name, k.kind, sel(k)]))
  const ids: number[] = []
  const add = (rows: unknown[]) => {
    for (const r of rows as Array<{ id: number | null }>) if (r.id !== null) ids.push(r.id)
  }
  if (byNumber.length) {
    add(
      c
        .stmt(`SELECT r.id AS id FROM ${ITEMS_OF_KEYS} JOIN revisions r ON r.item_id = i.id AND r.number = json_extract(j.value, '$[3]')`)
        .all(withSel(byNumber, (k) => k.revision)),
    )
  }
  if (byTag.length) {
    add(
      c
        .stmt(`SELECT t.revision_id AS id FROM ${ITEMS_OF_KEYS} JOIN tags t ON t.item_id = i.id AND t.tag = json_extract(j.value, '$[3]')`)
        .all(withSel(byTag, (k) => k.tag)),
    )
  }
  if (latest.length) add(c.stmt(`SELECT ${LATEST_ID} AS id FROM ${ITEMS_OF_KEYS}`).all(itemKeys(latest)))
  if (all.length) add(c.stmt(`SELECT r.id AS id FROM ${ITEMS_OF_KEYS} JOIN revisions r ON r.item_id = i.id`).all(itemKeys(all)))
  return [...new Set(ids)]
}

/** An edge row with both ends already resolved to their revision kref parts. */
export interface ResolvedEdgeRow {
  edge_type: string
  created_at: string
  metadata: string
  s_space: string
  s_name: string
  s_kind: string
  s_number: number
  t_space: string
  t_name: string
  t_kind: string
  t_number: number
}

/**
 * Edges touching any of the revision ids (JSON array) in the direction asked, ends resolved in the
 * same statement. `IN (SELECT value FROM json_each(?))` keeps the lookups on the edge indexes.
 */
export function edgeRows(c: Core, ids: number[], dir: 'outgoing' | 'incoming' | 'both', edgeType: string | undefined, max: number): ResolvedEdgeRow[] {
  const type = edgeType ? ' AND edge_type = ?' : ''
  const parts: string[] = []
  const args: unknown[] = []
  const json = JSON.stringify(ids)
  if (dir !== 'incoming') {
    parts.push(`SELECT * FROM edges WHERE source_id IN (SELECT value FROM json_each(?))${type}`)
    args.push(json)
    if (edgeType) args.push(edgeType)
  }
  if (dir !== 'outgoing') {
    parts.push(`SELECT * FROM edges WHERE target_id IN (SELECT value FROM json_each(?))${type}`)
    args.push(json)
    if (edgeType) args.push(edgeType)
  }
  return c.stmt(resolvedEdgesSql(parts, max, { revisions: 'revisions', items: 'items' })).all(...args) as ResolvedEdgeRow[]
}

/** The edges of `parts` (SELECTs of edge rows, UNIONed), at most `max`, both ends resolved, on either engine's tables. */
export function resolvedEdgesSql(parts: string[], max: number, t: { revisions: string; items: string }): string {
  return `SELECT e.edge_type, e.created_at, e.metadata,
      si.space_path AS s_space, si.item_name AS s_name, si.kind AS s_kind, sr.number AS s_number,
      ti.space_path AS t_space, ti.item_name AS t_name, ti.kind AS t_kind, tr.number AS t_number
    FROM (${parts.join(' UNION ')} LIMIT ${max}) e
    JOIN ${t.revisions} sr ON sr.id = e.source_id JOIN ${t.items} si ON si.id = sr.item_id
    JOIN ${t.revisions} tr ON tr.id = e.target_id JOIN ${t.items} ti ON ti.id = tr.item_id`
}

/** Edges on the wire; krefs of revisions many edges share are formatted once. */
export function edgesOf(c: StoreRules, rows: ResolvedEdgeRow[]): Edge[] {
  const krefs = new Map<string, string>()
  return rows.map((r) => ({
    source_kref: endKref(c, krefs, r.s_space, r.s_name, r.s_kind, r.s_number),
    target_kref: endKref(c, krefs, r.t_space, r.t_name, r.t_kind, r.t_number),
    edge_type: r.edge_type,
    created_at: r.created_at,
    metadata: JSON.parse(r.metadata),
  }))
}

/** The revision kref of an edge end; `cache` spares re-formatting a revision many edges share. */
export function endKref(c: StoreRules, cache: Map<string, string>, space: string, name: string, kind: string, number: number): string {
  const key = `${space}\u0000${name}\u0000${kind}\u0000${number}`
  let kref = cache.get(key)
  if (kref === undefined) {
    kref = formatKref({ ...c.itemKrefOf({ space_path: space, item_name: name, kind }), revision: number })
    cache.set(key, kref)
  }
  return kref
}
