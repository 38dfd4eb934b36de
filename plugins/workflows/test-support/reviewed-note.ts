/**
 * The end-to-end workflow of issue 14: an agent drafts, a person approves, the draft becomes a
 * store item. Run by the real `workflow-runner` behind the routes.
 */
export const REVIEWED_NOTE = `name: Reviewed Note
description: draft a note, have it approved, store it
inputs:
  - name: topic
    default: tides
steps:
  - id: draft
    type: agent
    agent:
      prompt: "Write a note about \${inputs.topic}"
  - id: review
    type: human_approval
    depends_on: [draft]
    human_approval:
      title: Publish the note?
      message: "\${draft.output}"
  - id: publish
    type: output
    depends_on: [review]
    output:
      format: markdown
      template: "\${draft.output}"
      entity_name: "note-\${inputs.topic}"
`

/** a gateway with the real runner, the offline provider and the routes a dashboard reads */
export const E2E_PLUGINS = ['store', 'agent-runtime', 'workflow-runner', 'workflows', 'events', 'kumiho-proxy', 'artifact-body']
export const OFFLINE = '[providers.offline]\nchunk_delay_ms = 0\n'

/** poll a run over the route until its status is one of `statuses` */
export async function waitStatus(get: () => Promise<{ status: number; body: any }>, statuses: string[], ms = 10_000): Promise<any> {
  const end = Date.now() + ms
  for (;;) {
    const r = await get()
    if (r.status === 200 && statuses.includes(r.body.run.status)) return r.body.run
    if (Date.now() > end) throw new Error(`run did not reach ${statuses.join('|')} in ${ms} ms: ${JSON.stringify(r.body)}`)
    await new Promise((res) => setTimeout(res, 20))
  }
}
