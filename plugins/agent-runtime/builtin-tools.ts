/**
 * Tools the runtime itself contributes. Models have no clock, and "what time is it / what day is
 * it" is the most common question they cannot answer alone, so `current_time` earns its place.
 */
import type { AgentTool } from '@revka/plugin-sdk'

export const currentTimeTool: AgentTool = {
  name: 'current_time',
  description: 'The current date and time. Optionally give an IANA time zone such as "Europe/Berlin"; the default is the gateway\'s local zone.',
  parameters: {
    type: 'object',
    properties: { timezone: { type: 'string', description: 'IANA time zone name, e.g. "America/New_York"' } },
    additionalProperties: false,
  },
  async execute(args) {
    const now = new Date()
    const tz = typeof args.timezone === 'string' && args.timezone ? args.timezone : Intl.DateTimeFormat().resolvedOptions().timeZone
    let local: string
    try {
      local = new Intl.DateTimeFormat('en-GB', { timeZone: tz, dateStyle: 'full', timeStyle: 'long' }).format(now)
    } catch {
      return { output: `Unknown time zone "${tz}". Use an IANA name such as "Europe/London".`, success: false }
    }
    return { output: JSON.stringify({ utc: now.toISOString(), timezone: tz, local, unix: Math.floor(now.getTime() / 1000) }), success: true }
  },
}
