/**
 * Reads over many krefs in a fixed number of statements on PostgreSQL: the item keys travel as
 * parallel text arrays unnested WITH ORDINALITY (the counterpart of batch.ts's json_each), so a
 * read costs one round trip whatever the number of krefs.
 */
import { parseKref, type Kref, type Revision, type RevisionChoice } from '@revka/plugin-sdk'
import { PG_REVISION_COLUMNS, type PgCore, type PgRevisionRow } from './pg-core.js'
import { spacePathOf } from './rules.js'

/** `w` (space, name, kind, sel, idx) joined to its items `i` */
const ITEMS_OF_KEYS = `unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS w(space, name, kind, sel, idx)
  JOIN store_items i ON i.space_path = w.space AND i.item_name = w.name AND i.kind = w.kind`

function keyArgs(ks: Kref[], sel: (k: Kref) => unknown = () => null): unknown[] {
  return [ks.map(spacePathOf), ks.map((k) => k.name), ks.map((k) => k.kind), ks.map((k) => (sel(k) === null ? null : String(sel(k))))]
}

const LATEST_ID = '(SELECT id FROM store_revisions WHERE item_id = i.id ORDER BY number DESC LIMIT 1)'
const PICK: Record<RevisionChoice, string> = {
  latest: LATEST_ID,
  'published-or-latest': `COALESCE((SELECT revision_id FROM store_tags WHERE item_id = i.id AND tag = 'published'), ${LATEST_ID})`,
}

export async function currentRevisions(c: PgCore, krefs: string[], choice: RevisionChoice = 'published-or-latest'): Promise<Map<string, Revision | null>> {
  const out = new Map<string, Revision | null>()
  // every kref is parsed before anything is read: a malformed one refuses the whole call
  const ks = krefs.map((k) => parseKref(k))
  for (const k of krefs) out.set(k, null)
  if (!ks.length) return out
  const rows = await c.sql.query<PgRevisionRow & { idx: string }>(
    `SELECT want.idx, ${PG_REVISION_COLUMNS}
      FROM (SELECT w.idx, ${PICK[choice] ?? PICK['published-or-latest']} AS rev_id FROM ${ITEMS_OF_KEYS}) want
      JOIN store_revisions r ON r.id = want.rev_id`,
    keyArgs(ks),
  )
  for (const r of rows.rows) {
    const i = Number(r.idx) - 1
    const k = ks[i]
    out.set(krefs[i], c.revision({ space_path: spacePathOf(k), item_name: k.name, kind: k.kind }, r))
  }
  return out
}

/** Revision ids the krefs stand for: the selected one with `?r=`/`?t=`, every revision without a selector. */
export async function revisionIdsOf(c: PgCore, krefs: string[]): Promise<number[]> {
  const groups: Record<'number' | 'tag' | 'latest' | 'all', Kref[]> = { number: [], tag: [], latest: [], all: [] }
  for (const kref of krefs) {
    const k = parseKref(kref)
    groups[k.revision !== undefined ? 'number' : k.tag === undefined ? 'all' : k.tag === 'latest' ? 'latest' : 'tag'].push(k)
  }
  const ids: number[] = []
  const read = async (ks: Kref[], select: string, sel?: (k: Kref) => unknown) => {
    if (!ks.length) return
    for (const r of (await c.sql.query<{ id: number | null }>(`SELECT ${select}`, keyArgs(ks, sel))).rows) if (r.id !== null) ids.push(r.id)
  }
  await read(groups.number, `r.id AS id FROM ${ITEMS_OF_KEYS} JOIN store_revisions r ON r.item_id = i.id AND r.number = w.sel::int`, (k) => k.revision)
  await read(groups.tag, `t.revision_id AS id FROM ${ITEMS_OF_KEYS} JOIN store_tags t ON t.item_id = i.id AND t.tag = w.sel`, (k) => k.tag)
  await read(groups.latest, `${LATEST_ID} AS id FROM ${ITEMS_OF_KEYS}`)
  await read(groups.all, `r.id AS id FROM ${ITEMS_OF_KEYS} JOIN store_revisions r ON r.item_id = i.id`)
  return [...new Set(ids)]
}
