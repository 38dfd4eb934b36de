/** Test fixture: two agent tools — `shout` (upper-cases `text`) and `nap` (waits `ms`, stoppable). */
import { definePlugin, type AgentTool } from '@revka/plugin-sdk'

const shout: AgentTool = {
  name: 'shout',
  description: 'Upper-case the given text',
  parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  async execute(args) {
    return { output: String(args.text ?? '').toUpperCase(), success: true }
  },
}

const nap: AgentTool = {
  name: 'nap',
  description: 'Wait for `ms` milliseconds (stops early when the turn is stopped)',
  parameters: { type: 'object', properties: { ms: { type: 'number' } } },
  execute(args, ctx) {
    const ms = Math.min(Number(args.ms ?? 1000), 30_000)
    return new Promise((resolve) => {
      const done = (output: string) => {
        clearTimeout(timer)
        ctx.signal.removeEventListener('abort', onAbort)
        resolve({ output, success: true })
      }
      const onAbort = () => done('interrupted')
      const timer = setTimeout(() => done(`napped ${ms} ms`), ms)
      ctx.signal.addEventListener('abort', onAbort, { once: true })
    })
  },
}

export default definePlugin({
  setup(api) {
    api.hooks.tools.tap((tools) => [...tools, shout, nap])
  },
})
