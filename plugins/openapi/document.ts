/**
 * The OpenAPI 3.1 document of a route table. Only what the declarations say: methods, path and
 * declared query/params/body schemas, auth, and the kernel's limits as `x-revka-*` extensions. No
 * response schemas are invented (routes do not declare them); every error is the one shape.
 */
import type { RouteInfo } from '@revka/plugin-sdk'
import { PathTemplates, toOpenApiPath, WILDCARD, type PathTemplate } from './paths.js'
import { SECURITY_SCHEMES, securityOf } from './security.js'

export interface DocumentContext {
  version: string
  /** the gateway's path prefix ('' or `/revka`): the document's server URL */
  pathPrefix: string
}

type Json = Record<string, unknown>

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'code'],
  properties: {
    error: { type: 'string', description: 'a human message' },
    code: { type: 'string', description: 'snake_case, stable' },
    retry_after: { type: 'integer', description: 'seconds (429 and 503; also the Retry-After header)' },
  },
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

function parameters(r: RouteInfo, t: PathTemplate): Json[] {
  const declared = (r.schema?.params as { properties?: Record<string, object> } | undefined)?.properties ?? {}
  // positional: a route sharing another's path item keeps its own schema (and wildcard) for each parameter
  const own = toOpenApiPath(r.url).params
  const out: Json[] = t.params.map((name, i) => ({
    name,
    in: 'path',
    required: true,
    schema: declared[own[i] === WILDCARD ? '*' : own[i]] ?? { type: 'string' },
    ...(own[i] === WILDCARD ? { description: 'the rest of the path (may contain "/")' } : {}),
  }))
  const q = r.schema?.query as { properties?: Record<string, object>; required?: string[] } | undefined
  for (const [name, schema] of Object.entries(q?.properties ?? {})) {
    out.push({ name, in: 'query', required: q?.required?.includes(name) === true, schema })
  }
  return out
}

function operation(r: RouteInfo, method: string, t: PathTemplate): Json {
  const errors = { $ref: '#/components/responses/Error' }
  const responses: Json = r.websocket
    ? { 101: { description: `Switching Protocols (WebSocket${r.subprotocol ? `, subprotocol ${r.subprotocol}` : ''})` }, default: errors }
    : { 200: { description: r.streaming ? 'OK (a stream: the timeout covers only the response head)' : 'OK' }, default: errors }
  const op: Json = {
    operationId: `${r.plugin}:${method}:${r.url}`,
    tags: [r.plugin],
    ...(r.description ? { summary: r.description } : {}),
    security: securityOf(r),
    responses,
    'x-revka-plugin': r.plugin,
    'x-revka-auth': r.auth,
    'x-revka-timeout-ms': r.timeoutMs,
  }
  const params = parameters(r, t)
  if (params.length) op.parameters = params
  if (BODY_METHODS.has(method)) op['x-revka-body-limit'] = r.bodyLimit
  if (r.schema?.body) op.requestBody = { required: true, content: { 'application/json': { schema: r.schema.body } } }
  if (r.rateLimitPerMinute) op['x-revka-rate-limit-per-minute'] = r.rateLimitPerMinute
  if (r.secret) op['x-revka-secret'] = r.secret
  if (r.streaming) op['x-revka-streaming'] = true
  if (r.websocket) op['x-revka-websocket'] = r.subprotocol ? { subprotocol: r.subprotocol } : {}
  if (r.fallback) op['x-revka-fallback'] = true
  if (t.wildcard) op['x-revka-wildcard'] = true
  return op
}

export function openApiDocument(routes: RouteInfo[], ctx: DocumentContext): Json {
  const templates = new PathTemplates()
  const paths: Record<string, Json> = {}
  const tags = new Set<string>()
  for (const r of routes) {
    let t = templates.for(r.url)
    // `GET /x/:id` and `GET /x/*` may both exist (the wildcard also takes `/x/a/b`): both are kept, each under its own template
    if (r.methods.some((m) => paths[t.path]?.[m.toLowerCase()])) t = toOpenApiPath(r.url)
    const item = (paths[t.path] ??= {})
    for (const m of r.methods) item[m.toLowerCase()] = operation(r, m, t)
    tags.add(r.plugin)
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Revka gateway',
      version: ctx.version,
      description:
        "Generated from the route declarations of this gateway's enabled plugins. Limits the kernel enforces are `x-revka-*` extensions: body limit (bytes, 413 beyond), timeout (ms, 408), rate limit (per client per minute, 429).",
    },
    servers: [{ url: ctx.pathPrefix || '/' }],
    tags: [...tags].sort().map((name) => ({ name, description: `routes of the ${name} plugin` })),
    paths,
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: { Error: ERROR_SCHEMA },
      responses: { Error: { description: 'An error: `{error, code}`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
    },
  }
}
