/**
 * Every name @revka/plugin-sdk exports has a doc comment: the reference `npm run docs` generates
 * (TypeDoc) is only as good as these, and a plugin author's editor shows them on hover. Checked
 * with the TypeScript compiler on the SDK's own entry point, so re-exports (`export type *`
 * included) are followed to the declaration that carries the comment.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = fileURLToPath(new URL('../../', import.meta.url))
const entry = fileURLToPath(new URL('../../plugin-sdk/src/index.ts', import.meta.url))

/** the SDK's exports that have no doc comment, as `name (file:line)` */
function undocumentedExports(entryFile: string): { names: string[]; count: number } {
  const program = ts.createProgram([entryFile], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    experimentalDecorators: true,
    resolveJsonModule: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(entryFile)
  assert.ok(source, `${entryFile} is not in the program`)
  const moduleSymbol = checker.getSymbolAtLocation(source)
  assert.ok(moduleSymbol, 'the entry point is not a module')
  const exports = checker.getExportsOfModule(moduleSymbol)
  const names: string[] = []
  for (const exported of exports) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const decls = symbol.declarations ?? []
    // a value and a type of one name (`KernelServices`) need one comment between them
    const documented = decls.some((d) => ts.getJSDocCommentsAndTags(d).length > 0) || symbol.getDocumentationComment(checker).length > 0
    if (!documented) {
      const d = decls[0]
      const where = d
        ? `${relative(root, d.getSourceFile().fileName)}:${d.getSourceFile().getLineAndCharacterOfPosition(d.getStart()).line + 1}`
        : 'no declaration'
      names.push(`${exported.name} (${where})`)
    }
  }
  return { names: names.sort(), count: exports.length }
}

test('every export of @revka/plugin-sdk has a doc comment', () => {
  const { names, count } = undocumentedExports(entry)
  assert.ok(count > 100, `only ${count} exports found: the entry point did not resolve`)
  assert.deepEqual(names, [], `${names.length} of ${count} exports have no doc comment:\n  ${names.join('\n  ')}`)
})
