/**
 * Fastify route syntax → OpenAPI path templates: `:param` → `{param}` (a `(regex)` constraint
 * dropped, `::` an escaped colon), a final `*` → `{wildcard}`. OpenAPI treats `/a/{id}` and
 * `/a/{x}` as the same path, so `PathTemplates` gives every route of one shape the first one's
 * parameter names (so `/sessions/:id` and `/sessions/*` share one: the second's operation is marked
 * `x-revka-wildcard`).
 */

export const WILDCARD = 'wildcard'

export interface PathTemplate {
  /** the OpenAPI path, e.g. `/api/canvas/{id}` */
  path: string
  /** path parameter names in order; `wildcard` for a final `*` */
  params: string[]
  /** true when the path ends in a wildcard (its value may contain `/`) */
  wildcard: boolean
}

export function toOpenApiPath(url: string): PathTemplate {
  const params: string[] = []
  let wildcard = false
  const segments = url.split('/').map((seg, i, all) => {
    if (seg === '*' && i === all.length - 1) {
      wildcard = true
      params.push(WILDCARD)
      return `{${WILDCARD}}`
    }
    // `::` is a literal colon in Fastify; a single `:` starts a parameter
    return seg.replace(/::|:([A-Za-z0-9_]+)(\([^)]*\))?/g, (m, name: string | undefined) => {
      if (m === '::') return ':'
      params.push(name!)
      return `{${name}}`
    })
  })
  return { path: segments.join('/'), params, wildcard }
}

/** Keeps one template per shape, so routes that differ only in parameter names share a path item. */
export class PathTemplates {
  private readonly byShape = new Map<string, PathTemplate>()

  /** the path item's template, with the parameter names of the first route of this shape; `wildcard` stays this route's own */
  for(url: string): PathTemplate {
    const t = toOpenApiPath(url)
    const shape = t.path.replace(/\{[^}]+\}/g, '{}')
    const first = this.byShape.get(shape)
    if (first) return { ...first, wildcard: t.wildcard }
    this.byShape.set(shape, t)
    return t
  }
}
