/**
 * The embedded domain store's tables (SQLite, WAL, foreign keys on). Rows are addressed by
 * integer ids inside the plugin only; the interface speaks krefs. Cascades do the hard deletes:
 * an item takes its revisions, tags, artifacts, the edges of its revisions and its bundle
 * memberships with it, in one statement.
 */
export const SCHEMA_VERSION = 1

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS projects (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  deprecated INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS spaces (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  path TEXT NOT NULL UNIQUE,
  parent_path TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  author TEXT,
  username TEXT
);
CREATE INDEX IF NOT EXISTS spaces_by_parent ON spaces(parent_path, name);
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  space_path TEXT NOT NULL,
  item_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  deprecated INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  author TEXT,
  username TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  UNIQUE (space_path, item_name, kind)
);
CREATE INDEX IF NOT EXISTS items_by_space_name ON items(space_path, deprecated, item_name, kind);
CREATE INDEX IF NOT EXISTS items_by_space_kind ON items(space_path, kind, deprecated, item_name);
CREATE INDEX IF NOT EXISTS items_by_recent ON items(space_path, created_at, id);
CREATE TABLE IF NOT EXISTS revisions (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  deprecated INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  author TEXT,
  username TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  UNIQUE (item_id, number)
);
-- a tag is a per-item pointer: the primary key makes "tag revision N" move it off the others
CREATE TABLE IF NOT EXISTS tags (
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
  PRIMARY KEY (item_id, tag)
);
CREATE INDEX IF NOT EXISTS tags_by_revision ON tags(revision_id);
CREATE TABLE IF NOT EXISTS artifacts (
  id INTEGER PRIMARY KEY,
  revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  location TEXT NOT NULL,
  -- bytes of the file when the store wrote it under its own directory, else NULL
  owned_size INTEGER,
  deprecated INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  UNIQUE (revision_id, name)
);
CREATE INDEX IF NOT EXISTS artifacts_by_location ON artifacts(location);
CREATE TABLE IF NOT EXISTS edges (
  source_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
  target_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
  edge_type TEXT NOT NULL,
  created_at TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (source_id, target_id, edge_type)
);
CREATE INDEX IF NOT EXISTS edges_by_target ON edges(target_id, edge_type);
CREATE TABLE IF NOT EXISTS bundle_members (
  bundle_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  member_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  added_at TEXT NOT NULL,
  added_by TEXT,
  added_in_revision INTEGER,
  PRIMARY KEY (bundle_id, member_id)
);
CREATE INDEX IF NOT EXISTS bundle_members_by_member ON bundle_members(member_id);
-- full text: rowid = items.id. metadata = the item's and its latest revision's values;
-- revision_metadata = the values of its older revisions (include_revision_metadata)
CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5(
  name, kind, metadata, revision_metadata, tokenize = 'unicode61 remove_diacritics 2'
);
`
