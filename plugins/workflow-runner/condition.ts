/**
 * The conditions of `conditional` branches and `goto` (`"${check.status} == 'completed'"`,
 * `default`): a tiny parser, never `eval`. References are resolved to values while tokenising, so
 * a value containing quotes or operators stays one operand. Grammar:
 *   or := and (('or'|'||') and)* ; and := not (('and'|'&&') not)* ; not := ('not'|'!') not | cmp
 *   cmp := atom (('=='|'!='|'>='|'<='|'>'|'<'|'contains'|'in') atom)?
 *   atom := '${ref}' | 'text' | "text" | number | true | false | word | '(' or ')'
 */
import { RevkaError } from '@revka/plugin-sdk'
import { lookup, asText, type Scope } from './interpolate.js'

type Tok = { k: 'v'; v: string } | { k: 'op'; v: string }
const OPS = ['==', '!=', '>=', '<=', '>', '<', '&&', '||', '!', '(', ')']
const WORD_OPS = new Set(['and', 'or', 'not', 'contains', 'in'])
const MAX_DEPTH = 32

function fail(msg: string): never {
  throw new RevkaError('REVKA_ERR_WORKFLOW_CONDITION', msg)
}

function tokenize(src: string, scope: Scope | null): Tok[] {
  const out: Tok[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (src.startsWith('${', i)) {
      const end = src.indexOf('}', i)
      if (end < 0) fail(`unclosed \${ in condition: ${src}`)
      out.push({ k: 'v', v: scope ? asText(lookup(src.slice(i + 2, end).trim(), scope)) : '' })
      i = end + 1
      continue
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1)
      if (end < 0) fail(`unclosed quote in condition: ${src}`)
      out.push({ k: 'v', v: src.slice(i + 1, end) })
      i = end + 1
      continue
    }
    const op = OPS.find((o) => src.startsWith(o, i))
    if (op) {
      out.push({ k: 'op', v: op })
      i += op.length
      continue
    }
    const m = /^[^\s()'"=!<>&|]+/.exec(src.slice(i))
    if (!m) fail(`unexpected character '${c}' in condition: ${src}`)
    const w = m[0]
    out.push(WORD_OPS.has(w.toLowerCase()) ? { k: 'op', v: w.toLowerCase() } : { k: 'v', v: w })
    i += w.length
  }
  return out
}

export function truthy(v: string): boolean {
  return !['', 'false', '0', 'null', 'none', 'no', 'undefined'].includes(v.trim().toLowerCase())
}

function compare(a: string, op: string, b: string): boolean {
  const na = Number(a),
    nb = Number(b)
  const numeric = a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)
  switch (op) {
    case '==':
      return numeric ? na === nb : a === b
    case '!=':
      return numeric ? na !== nb : a !== b
    case '>':
      return numeric ? na > nb : a > b
    case '<':
      return numeric ? na < nb : a < b
    case '>=':
      return numeric ? na >= nb : a >= b
    case '<=':
      return numeric ? na <= nb : a <= b
    case 'contains':
      return a.includes(b)
    default:
      return b.includes(a) // in
  }
}

class Parser {
  private i = 0
  constructor(
    private readonly t: Tok[],
    private readonly src: string,
  ) {}
  private peek(): Tok | undefined {
    return this.t[this.i]
  }
  private isOp(...v: string[]): boolean {
    const p = this.peek()
    return p?.k === 'op' && v.includes(p.v)
  }
  parse(): boolean {
    const v = this.or(0)
    if (this.i < this.t.length) fail(`unexpected '${this.t[this.i].v}' in condition: ${this.src}`)
    return v
  }
  private or(d: number): boolean {
    let v = this.and(d)
    while (this.isOp('or', '||')) {
      this.i++
      const r = this.and(d)
      v = v || r
    }
    return v
  }
  private and(d: number): boolean {
    let v = this.not(d)
    while (this.isOp('and', '&&')) {
      this.i++
      const r = this.not(d)
      v = v && r
    }
    return v
  }
  private not(d: number): boolean {
    if (this.isOp('not', '!')) {
      this.i++
      return !this.not(d + 1)
    }
    return this.cmp(d)
  }
  private cmp(d: number): boolean {
    if (this.isOp('(')) {
      if (d >= MAX_DEPTH) fail(`condition nests deeper than ${MAX_DEPTH}: ${this.src}`)
      this.i++
      const v = this.or(d + 1)
      if (!this.isOp(')')) fail(`missing ) in condition: ${this.src}`)
      this.i++
      return v
    }
    const a = this.atom()
    if (this.isOp('==', '!=', '>=', '<=', '>', '<', 'contains', 'in')) {
      const op = this.t[this.i++].v
      return compare(a, op, this.atom())
    }
    return truthy(a)
  }
  private atom(): string {
    const p = this.peek()
    if (!p || p.k !== 'v') fail(`expected a value${p ? ` before '${p.v}'` : ' at the end'} in condition: ${this.src}`)
    this.i++
    return p.v
  }
}

/** Evaluate a condition; `default` (and an absent one) is true. Throws REVKA_ERR_WORKFLOW_CONDITION on bad syntax. */
export function evaluate(condition: string | undefined, scope: Scope): boolean {
  if (condition === undefined || condition.trim() === '' || condition.trim() === 'default') return true
  return new Parser(tokenize(condition, scope), condition).parse()
}

/** A syntax check for validation (references are not resolved); the message, or null. */
export function conditionProblem(condition: string): string | null {
  if (condition.trim() === 'default') return null
  try {
    new Parser(tokenize(condition, null), condition).parse()
    return null
  } catch (e) {
    return (e as Error).message
  }
}
