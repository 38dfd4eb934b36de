/**
 * Where a dotted config key (`gateway.host`, as the gateway names refused keys) is set in TOML
 * text: tracks `[table]` headers and finds `key =` under them. It reads the plain layout
 * config.toml is written in (one key per line; inline tables and arrays of tables are not followed)
 * and answers undefined when it cannot tell — the message still names the key.
 */
function unquote(part: string): string {
  const t = part.trim()
  return /^".*"$|^'.*'$/.test(t) ? t.slice(1, -1) : t
}

function splitDotted(path: string): string[] {
  return (path.match(/"[^"]*"|'[^']*'|[^.]+/g) ?? []).map(unquote)
}

export function lineOfKey(text: string, dotted: string): number | undefined {
  let table: string[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    const header = /^\[([^[\]]+)\]\s*(#.*)?$/.exec(line)
    if (header) {
      table = splitDotted(header[1])
      continue
    }
    const kv = /^([A-Za-z0-9_\-."' ]+?)\s*=/.exec(line)
    if (kv && [...table, ...splitDotted(kv[1])].join('.') === dotted) return i + 1
  }
  return undefined
}
