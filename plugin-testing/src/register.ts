/**
 * `node --import @revka/plugin-testing/register --test *.test.ts` — run a plugin's TypeScript tests
 * with Node's own test runner, on Node 20.19 and later, with no build step.
 *
 * Why not `node --import jiti/register`: jiti's loader hook rewrites every CommonJS file it sees,
 * node_modules included, and hands it back to Node's ESM loader as CommonJS *source*. Such a module
 * gets the ESM loader's stand-in `require`, which cannot load an ES module, so Fastify's inject
 * (light-my-request requiring the ESM-only `cookie`) dies with "Cannot read properties of undefined
 * (reading 'exports')". These hooks (ts-hooks.ts) touch only the TypeScript files outside
 * node_modules and leave every package to Node.
 */
import { register } from 'node:module'

register('./ts-hooks.js', import.meta.url)
