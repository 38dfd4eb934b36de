/**
 * The domain store's tables on the cluster's PostgreSQL (`store_…`), created through
 * `shared-sql` migrate('store', …). They mirror the SQLite schema (schema.ts) with three
 * differences a cluster needs:
 * - full text is two generated `tsvector` columns on the item row, each with a GIN index:
 *   `fts` (name A, kind B, current metadata C) and `fts_all` (+ older revisions D), fed by the
 *   plain-text columns the writers set in the same transaction;
 * - the bytes of the artifact files the store writes live in `store_artifact_bodies` (bytea), so
 *   every node can read them; an owned artifact's `location` column holds the path relative to
 *   the artifact root, and each node answers it under its own root;
 * - a revision remembers which of its metadata keys hold such a location (`owned_keys`), so
 *   that value too is answered under the reading node's root;
 * - the store-wide totals (items, edges, artifact bytes) are rows of `store_counters`.
 * The 'simple' configuration: lower-cased words, no stemming and no stop words — what FTS5's
 * unicode61 tokenizer indexes, so both backends find the same items for the same words.
 */
import type { SqlMigration } from '@revka/plugin-sdk'

/** the searched document: name (weight A), kind (B), current metadata values (C) */
const DOC = `setweight(to_tsvector('simple'::regconfig, fts_name), 'A') ||
  setweight(to_tsvector('simple'::regconfig, kind), 'B') ||
  setweight(to_tsvector('simple'::regconfig, fts_current), 'C')`

export const PG_STEPS: ReadonlyArray<SqlMigration> = [
  {
    id: 1,
    name: 'domain store: projects, spaces, items, revisions, tags, artifacts, edges, bundles, full text',
    sql: `
      CREATE TABLE store_projects (
        id SERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
        deprecated BOOLEAN NOT NULL DEFAULT false, created_at TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}'
      );
      CREATE TABLE store_spaces (
        id SERIAL PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES store_projects(id) ON DELETE CASCADE,
        path TEXT NOT NULL UNIQUE, parent_path TEXT NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL,
        author TEXT, username TEXT
      );
      CREATE INDEX store_spaces_by_parent ON store_spaces (parent_path, name);
      CREATE TABLE store_items (
        id SERIAL PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES store_projects(id) ON DELETE CASCADE,
        space_path TEXT NOT NULL, item_name TEXT NOT NULL, kind TEXT NOT NULL,
        deprecated BOOLEAN NOT NULL DEFAULT false, created_at TEXT NOT NULL, author TEXT, username TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        fts_name TEXT NOT NULL DEFAULT '', fts_current TEXT NOT NULL DEFAULT '', fts_older TEXT NOT NULL DEFAULT '',
        fts tsvector GENERATED ALWAYS AS (${DOC}) STORED,
        fts_all tsvector GENERATED ALWAYS AS (${DOC} || setweight(to_tsvector('simple'::regconfig, fts_older), 'D')) STORED,
        UNIQUE (space_path, item_name, kind)
      );
      CREATE INDEX store_items_by_space_name ON store_items (space_path, deprecated, item_name, kind);
      CREATE INDEX store_items_by_recent ON store_items (space_path, created_at, id);
      CREATE INDEX store_items_fts ON store_items USING GIN (fts);
      CREATE INDEX store_items_fts_all ON store_items USING GIN (fts_all);
      CREATE TABLE store_revisions (
        id SERIAL PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES store_items(id) ON DELETE CASCADE,
        number INTEGER NOT NULL, deprecated BOOLEAN NOT NULL DEFAULT false, created_at TEXT NOT NULL,
        author TEXT, username TEXT, metadata TEXT NOT NULL DEFAULT '{}', owned_keys TEXT,
        UNIQUE (item_id, number)
      );
      CREATE TABLE store_tags (
        item_id INTEGER NOT NULL REFERENCES store_items(id) ON DELETE CASCADE, tag TEXT NOT NULL,
        revision_id INTEGER NOT NULL REFERENCES store_revisions(id) ON DELETE CASCADE,
        PRIMARY KEY (item_id, tag)
      );
      CREATE INDEX store_tags_by_revision ON store_tags (revision_id);
      CREATE TABLE store_artifacts (
        id SERIAL PRIMARY KEY, revision_id INTEGER NOT NULL REFERENCES store_revisions(id) ON DELETE CASCADE,
        name TEXT NOT NULL, location TEXT NOT NULL, owned_size INTEGER,
        deprecated BOOLEAN NOT NULL DEFAULT false, created_at TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}',
        UNIQUE (revision_id, name)
      );
      CREATE INDEX store_artifacts_by_location ON store_artifacts (location);
      CREATE SEQUENCE store_artifact_body_version;
      CREATE TABLE store_artifact_bodies (
        artifact_id INTEGER PRIMARY KEY REFERENCES store_artifacts(id) ON DELETE CASCADE,
        version BIGINT NOT NULL DEFAULT nextval('store_artifact_body_version'), body BYTEA NOT NULL
      );
      CREATE TABLE store_edges (
        source_id INTEGER NOT NULL REFERENCES store_revisions(id) ON DELETE CASCADE,
        target_id INTEGER NOT NULL REFERENCES store_revisions(id) ON DELETE CASCADE,
        edge_type TEXT NOT NULL, created_at TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (source_id, target_id, edge_type)
      );
      CREATE INDEX store_edges_by_target ON store_edges (target_id, edge_type);
      CREATE TABLE store_bundle_members (
        bundle_id INTEGER NOT NULL REFERENCES store_items(id) ON DELETE CASCADE,
        member_id INTEGER NOT NULL REFERENCES store_items(id) ON DELETE CASCADE,
        added_at TEXT NOT NULL, added_by TEXT, added_in_revision INTEGER,
        PRIMARY KEY (bundle_id, member_id)
      );
      CREATE INDEX store_bundle_members_by_member ON store_bundle_members (member_id);`,
  },
  {
    id: 2,
    name: 'domain store: running totals the store-wide bounds are checked against',
    // counting a million items (or summing every artifact) on each create would scan them all; the
    // writers move these in their own transaction, and the row lock orders them across nodes
    sql: `
      CREATE TABLE store_counters (name TEXT PRIMARY KEY, n BIGINT NOT NULL);
      INSERT INTO store_counters (name, n)
        SELECT 'items', COUNT(*) FROM store_items
        UNION ALL SELECT 'edges', COUNT(*) FROM store_edges
        UNION ALL SELECT 'artifact_bytes', COALESCE(SUM(owned_size), 0) FROM store_artifacts;`,
  },
]

/** the tables in dependency order (tests snapshot them) */
export const PG_TABLES = [
  'store_projects',
  'store_spaces',
  'store_items',
  'store_revisions',
  'store_tags',
  'store_artifacts',
  'store_artifact_bodies',
  'store_edges',
  'store_bundle_members',
  'store_counters',
]
