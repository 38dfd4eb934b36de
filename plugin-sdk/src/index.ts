/**
 * @revka/plugin-sdk — the only module a Revka plugin imports.
 * The kernel implements these interfaces; plugins never reach the kernel any other way.
 */
export { definePlugin, isDefinedPlugin } from './define.js'
export type { PluginApi, PluginDefinition, DefinedPlugin } from './define.js'
export { Stage } from './hooks.js'
export type { StageValue } from './hooks.js'
export type { HookTaps, TapPoint, TapOptions, StatusDocument, StatusContext, HealthSink, ComponentState, ResponseInfo } from './hooks.js'
export { serviceRef, KernelServices } from './services.js'
export type { ServiceRef } from './services.js'
export { httpError, isHttpError, RevkaHttpError, RevkaError } from './errors.js'
export type { HttpErrorOptions } from './errors.js'
export { hmacSha256Hex, sha256Hex, timingSafeEqualStr } from './crypto.js'
export { isObject } from './is-object.js'
export { resolveSecret } from './secret.js'
export type * from './types.js'
export type * from './kernel-services.js'
export type * from './ops.js'
export type * from './shared-sql.js'
export { AUDIT_EVENT_TYPES } from './audit.js'
export { AuthProfilesRef } from './auth-profiles.js'
export type { AuthProfilesService, ResolvedAuthProfile } from './auth-profiles.js'
export type {
  AuditEvent,
  AuditEventType,
  AuditActor,
  AuditAction,
  AuditResult,
  AuditSecurity,
  AuditInput,
  AuditRecorder,
  AuditQuery,
  AuditVerdict,
  AuditLogService,
} from './audit.js'
export { PLUGIN_API_VERSION } from './version.js'
export { reply, isReply } from './reply.js'
export type { BrandedReply } from './reply.js'
export type { EventBus, EventFields, EventType, RevkaEvent, CustomEvent, AnyEvent } from './events.js'
export type { AgentTool, ToolContext, ToolResult, ToolRegistryService, ToolSchemaProblem } from './tools.js'
export { fileReply, isFileReply } from './file-reply.js'
export type { FileReply, FileReplyOptions } from './file-reply.js'
export { startSse, formatSseFrame, SseFrames } from './sse.js'
export type { SseStream, SseOptions, SseFrameOptions } from './sse.js'
export { AgentTurnError, AgentRuntimeRef } from './agent.js'
export type {
  AgentRuntimeService,
  ChatMessage,
  ContentPart,
  ToolCallRequest,
  TurnRequest,
  TurnEvent,
  TurnResult,
  TurnUsage,
  AgentErrorCode,
  ProviderModelList,
  ProviderCheck,
} from './agent.js'
export { defineWebhook, IDEMPOTENCY_WINDOW_MS } from './webhook/define-webhook.js'
export type { WebhookProvider, ChannelMessage, SendContext } from './webhook/define-webhook.js'
export { postJson, ProviderApiError } from './webhook/post-json.js'
export { defineChannel } from './define-channel.js'
export type { ChannelDescriptor, ChannelStatus, ChannelRegistryService } from './channels.js'
export type { PostJsonOptions } from './webhook/post-json.js'
export { writeFileAtomicSync, fsyncDir, ensurePrivateFile } from './fs.js'
export { ConnectionCap, credentialKey, CLOSE_OVER_QUOTA, DEFAULT_SOCKETS_PER_CREDENTIAL, DEFAULT_STREAMS_PER_CREDENTIAL } from './quota.js'
export type { ConnectionCapOptions } from './quota.js'
export { DomainStoreRef, edgeDirection } from './domain-store.js'
export type {
  DomainStore,
  DomainStoreLimits,
  Metadata,
  Authorship,
  Project,
  Space,
  Item,
  Revision,
  Artifact,
  Edge,
  BundleMember,
  SearchHit,
  Page,
  PageQuery,
  EdgeDirection,
  RevisionChoice,
  ArtifactFile,
  ArtifactInput,
  RevisionInput,
  ItemInput,
  ListItemsQuery,
  SearchQuery,
  EdgeQuery,
} from './domain-store.js'
export { domainError, isDomainError } from './domain-errors.js'
export type { DomainErrorCode } from './domain-errors.js'
export { parseKref, formatKref, itemKref, krefSpacePath, parseSpacePath, isSafeSegment, isTagName, slugify, KREF_SCHEME } from './kref.js'
export type { Kref } from './kref.js'
export { domainStoreAccessor, domainProjects, itemKrefParam, itemPage, listQuery, boolParam, typedBody, csvList } from './domain-http.js'
export type { ListQuery } from './domain-http.js'
export { domainGroup, itemSlug } from './domain-routes.js'
export type { DomainGroup, DomainGroupSpec } from './domain-routes.js'
export { COMMON_CONTENT_TYPES, contentTypeByExtension } from './content-type.js'
export {
  readAvatarUpload,
  avatarRevision,
  avatarUrlPath,
  avatarFileReply,
  sniffImage,
  sanitiseAvatarFilename,
  AVATAR_MAX_BYTES,
  AVATAR_ARTIFACT,
} from './avatar.js'
export type { AvatarUpload } from './avatar.js'
export { WorkflowRunnerRef, CronTriggersRef, MAX_WORKFLOW_CRON_TRIGGERS } from './workflows.js'
export type {
  WorkflowRunnerService,
  WorkflowValidation,
  WorkflowFinding,
  WorkflowRunSummary,
  WorkflowRunDetail,
  WorkflowRunStep,
  WorkflowRunRequest,
  WorkflowRunRefusal,
  WorkflowCancelResult,
  CronTriggerService,
} from './workflows.js'
