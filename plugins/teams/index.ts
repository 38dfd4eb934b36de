/**
 * teams — agent teams (DOMAIN.md §6) on the `domain-store` service: bundles named by the raw team
 * name in `/<harness>/Teams`, whose members are agent items and whose typed edges connect them.
 * Every save is a new bundle revision tagged `published` with the summary metadata the list
 * shows. Team avatars work as agent avatars do (signed `/api/teams/avatar-file/*` URLs that reach
 * team avatar artifacts only); member avatars link to the agents plugin's avatar route.
 */
import { avatarUrlPath, definePlugin, domainGroup, domainProjects, type RevkaRequest } from '@revka/plugin-sdk'
import { teamBody, teamFull, teamSummary } from './team-shape.js'
import { createTeam, deleteTeam, updateTeam } from './team-write.js'

/** signed avatar URLs live a day, as the reference's */
const AVATAR_URL_TTL_SECS = 86_400

export default definePlugin({
  setup(api) {
    const space = () => `/${domainProjects(api.gateway).harness}/Teams`
    const teams = domainGroup(api, { base: '/api/teams', space, kinds: ['bundle'], noun: 'team' })
    const store = teams.store
    const avatarUrl = (base: 'agents' | 'teams', location: string | undefined): string | null => {
      const path = avatarUrlPath(store(), `/api/${base}/avatar-file`, location)
      return path ? api.signUrl(path, AVATAR_URL_TTL_SECS) : null
    }
    const who = (req: RevkaRequest) => req.auth.deviceId ?? req.auth.via

    teams.addList({
      key: 'teams',
      description: 'teams in summary form, paged (include_deprecated, page, per_page 1..50)',
      search: false,
      row: (i, rev) => teamSummary(i, rev, avatarUrl),
    })

    teams.addGet({
      description: 'one team in full form: members (their agents) and edges',
      answer: async (item) => ({ team: await teamFull(store(), item, avatarUrl) }),
    })

    teams.addCreate({
      description: 'create a team {name, description?, members?, edges?} → 201 {team}; an invalid graph is 400 with validation_errors',
      body: teamBody,
      create: async (b, req) => ({ team: await teamFull(store(), await createTeam(store(), space(), b, who(req)), avatarUrl) }),
    })

    teams.addUpdate({
      description: "update a team: a new published revision, members diffed, this team's edges replaced",
      body: teamBody,
      update: async (item, b, req) => {
        await updateTeam(store(), item, b, who(req))
        return { team: await teamFull(store(), item, avatarUrl) }
      },
    })

    teams.addDeprecate({ description: 'set or clear the soft-hide flag: {kref, deprecated} → {success:true}', answer: () => ({ success: true }) })
    teams.addDelete({ description: 'delete a team: its edges, its memberships, the bundle → 204', remove: (item) => deleteTeam(store(), item) })

    teams.addAvatar({
      what: 'team',
      description: 'multipart kref + file (PNG/JPEG/GIF/WebP by its bytes, ≤ 5 MiB) → a new published team revision with the avatar',
      fileDescription: 'a team avatar file, for holders of a signed URL (team avatar artifacts only)',
      answer: async (item) => ({ team: await teamFull(store(), item, avatarUrl) }),
    })
  },
})
