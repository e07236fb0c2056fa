/**
 * The DreamLayer WebSocket protocol: every JSON message the panel (or a script)
 * and the daemon exchange, as zod schemas. Both sides validate with these, so a
 * message that parses here is one the other side understands.
 *
 * Wire form: one JSON object per text frame, `{type, reqId?, ...fields}`.
 * `reqId` is chosen by the client and echoed in the direct reply (or `error`).
 * Binary frames (previews, uploaded frames) use the header in `binary-frame.ts`.
 *
 * This module is bundled into the panel: it must not import node-only modules.
 */
import { z } from 'zod';
import { FrameRangeSchema, InputSpecSchema, JobSpecSchema } from '../job-spec.ts';
import { DreamLayerError, ERROR_CODES, type ErrorCode, type ErrorPayload } from '../errors.ts';
import { PROTOCOL_VERSION } from '../version.ts';

export { PROTOCOL_VERSION };

/** Job and upload ids: short, URL- and file-name-safe. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const IdSchema = z.string().regex(ID_PATTERN, 'ids are 1-64 characters of A-Z a-z 0-9 _ -');
const ReqId = z.string().min(1).max(64).optional();

/** The daemon's default port on 127.0.0.1 (fixed, so panel manifests can list it in `network.domains`). */
export const DEFAULT_DAEMON_PORT = 47823;

/** Limits every daemon enforces (also announced in `welcome.limits`). */
export const PROTOCOL_LIMITS = {
  /** Largest JSON (text) message, in bytes. */
  maxJsonBytes: 256 * 1024,
  /** Largest binary message (one uploaded frame), in bytes; larger closes the socket with 1009. */
  maxBinaryBytes: 64 * 1024 * 1024,
  /** Seconds a new connection has to send `hello`. */
  helloTimeoutSeconds: 10,
} as const;

// ---------------------------------------------------------------- shared parts

/** ErrorPayload on the wire. `stage` stays an open string so a newer daemon's stage never fails an older panel. */
export const ErrorPayloadSchema = z.object({
  code: z.enum(ERROR_CODES as unknown as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  hint: z.string(),
  stage: z.string().optional(),
  frame: z.number().int().optional(),
  details: z.string().optional(),
}) as unknown as z.ZodType<ErrorPayload>;

export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const;
export const JobStateSchema = z.enum(JOB_STATES);
export type JobState = z.infer<typeof JobStateSchema>;
/** States a job never leaves by itself. */
export const TERMINAL_STATES: readonly JobState[] = ['done', 'failed', 'cancelled'];

export const ProgressSchema = z.object({
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  fps: z.number().min(0),
  etaSeconds: z.number().min(0).nullable(),
  stage: z.string(),
  frame: z.number().int().nullable(),
});

/** result.json of a finished job (see shared/src/job-spec.ts ResultRecord). */
export const ResultRecordSchema = z.object({
  effect: z.string(),
  chain: z.array(z.string()),
  input: z.string(),
  model: z.object({ id: z.string(), path: z.string(), sha256: z.string() }).nullable(),
  device: z.string(),
  fps: z.number(),
  fpsRational: z.string(),
  width: z.number(),
  height: z.number(),
  frames: z.object({ first: z.number(), last: z.number(), count: z.number() }),
  pattern: z.string().nullable(),
  movie: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
  timing: z.object({ seconds: z.number(), framesPerSecond: z.number() }),
  extra: z.record(z.string(), z.unknown()).optional(),
});

/** What a client may put in `job.submit`: a JobSpec whose input is a path, or a finished frames upload. */
export const UploadInputSchema = z.object({
  uploadId: IdSchema,
  /** Sub-range of the uploaded frames; absent = all of them. */
  frames: FrameRangeSchema.optional(),
});
export const SubmitJobSchema = JobSpecSchema.extend({
  input: z.union([InputSpecSchema, UploadInputSchema]),
});
export type SubmitJob = z.infer<typeof SubmitJobSchema>;

/** The job record as the daemon stores it (`<data>/jobs/<id>/job.json`) and shows it. */
export const JobRecordSchema = z.object({
  id: IdSchema,
  state: JobStateSchema,
  spec: JobSpecSchema,
  /** Client id of the submitter (events go to it after a reconnect), null from the CLI/HTTP. */
  owner: z.string().max(64).nullable(),
  /** Frames upload this job reads, if any. */
  uploadId: IdSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Times the job was started (1 = never interrupted or resumed). */
  attempts: z.number().int().min(0),
  progress: ProgressSchema.nullable(),
  result: ResultRecordSchema.nullable(),
  /** Last failure: code, message, hint, stage, frame and (details) ffmpeg's stderr tail. */
  error: ErrorPayloadSchema.nullable(),
  /** The job's log file. */
  log: z.string().nullable(),
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

/** Short form for lists. */
export const JobSummarySchema = z.object({
  id: IdSchema,
  state: JobStateSchema,
  effect: z.string(),
  input: z.string(),
  output: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  progress: ProgressSchema.nullable(),
  error: ErrorPayloadSchema.nullable(),
});
export type JobSummary = z.infer<typeof JobSummarySchema>;

/** Short form of a record. */
export function summarizeJob(r: JobRecord): JobSummary {
  return {
    id: r.id,
    state: r.state,
    effect: r.spec.effect,
    input: r.spec.input.path,
    output: r.spec.output.dir,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    progress: r.progress,
    error: r.error,
  };
}

// ------------------------------------------------------------ client -> daemon

export const HelloSchema = z.object({
  type: z.literal('hello'),
  reqId: ReqId,
  token: z.string().max(256),
  protocol: z.number().int(),
  client: z.object({ name: z.string().min(1).max(64), version: z.string().max(32) }),
  /** Stable id chosen by the client; reconnecting with it re-subscribes to the jobs it submitted. */
  clientId: IdSchema.optional(),
});

export const JobSubmitSchema = z.object({ type: z.literal('job.submit'), reqId: ReqId, job: SubmitJobSchema });
const jobOp = <T extends string>(type: T) => z.object({ type: z.literal(type), reqId: ReqId, jobId: IdSchema });
export const JobCancelSchema = jobOp('job.cancel');
export const JobResumeSchema = jobOp('job.resume');
/** Returns the record and subscribes this connection to the job's events. */
export const JobGetSchema = jobOp('job.get');
export const JobSubscribeSchema = jobOp('job.subscribe');
export const JobUnsubscribeSchema = jobOp('job.unsubscribe');
export const JobListSchema = z.object({ type: z.literal('job.list'), reqId: ReqId });
export const ModelsListSchema = z.object({ type: z.literal('models.list'), reqId: ReqId });
export const PingSchema = z.object({ type: z.literal('ping'), reqId: ReqId });

export const FRAME_ENCODINGS = ['rgba8', 'png'] as const;
/** Starts a frames-mode upload; the frames follow as binary messages (`binary-frame.ts`, kind UPLOAD_FRAME). */
export const FramesBeginSchema = z.object({
  type: z.literal('frames.begin'),
  reqId: ReqId,
  /** Client-chosen id (so frames can be sent without waiting for the reply); absent = daemon picks one. */
  uploadId: IdSchema.optional(),
  width: z.number().int().min(1).max(16384),
  height: z.number().int().min(1).max(16384),
  count: z.number().int().min(1).max(100000),
  fps: z.number().positive().max(1000),
  encoding: z.enum(FRAME_ENCODINGS).default('rgba8'),
});
export const FramesAbortSchema = z.object({ type: z.literal('frames.abort'), reqId: ReqId, uploadId: IdSchema });

export const ClientMessageSchema = z.discriminatedUnion('type', [
  HelloSchema,
  JobSubmitSchema,
  JobCancelSchema,
  JobResumeSchema,
  JobGetSchema,
  JobSubscribeSchema,
  JobUnsubscribeSchema,
  JobListSchema,
  ModelsListSchema,
  FramesBeginSchema,
  FramesAbortSchema,
  PingSchema,
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type ClientMessageInput = z.input<typeof ClientMessageSchema>;
export const CLIENT_MESSAGE_TYPES = ClientMessageSchema.options.map((o) => o.shape.type.value);

// ------------------------------------------------------------ daemon -> client

const ParamSpecSchema = z.looseObject({ name: z.string(), label: z.string(), help: z.string(), type: z.enum(['number', 'integer', 'boolean', 'enum', 'string']) });
export const EffectDescriptorSchema = z.looseObject({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  task: z.string().nullable(),
  defaultModel: z.string().nullable(),
  formats: z.array(z.string()),
  params: z.array(ParamSpecSchema),
});

export const WelcomeSchema = z.object({
  type: z.literal('welcome'),
  reqId: ReqId,
  protocol: z.number().int(),
  daemon: z.object({ name: z.literal('dreamlayer'), version: z.string(), pid: z.number().int() }),
  clientId: IdSchema,
  /** Execution providers this machine can use (cpu always; cuda, coreml… when present). */
  providers: z.array(z.string()),
  effects: z.array(EffectDescriptorSchema),
  limits: z.object({ maxJsonBytes: z.number(), maxBinaryBytes: z.number(), messagesPerSecond: z.number() }),
});

export const JobAcceptedSchema = z.object({
  type: z.literal('job.accepted'),
  reqId: ReqId,
  jobId: IdSchema,
  /** Jobs ahead of this one (0 = starts now or next). */
  position: z.number().int().min(0),
  job: JobSummarySchema,
});
export const JobStartedSchema = z.object({
  type: z.literal('job.started'),
  jobId: IdSchema,
  /** True when earlier attempts left finished frames that this run keeps. */
  resumed: z.boolean(),
  attempt: z.number().int().min(1),
});
export const JobProgressSchema = ProgressSchema.extend({ type: z.literal('job.progress'), jobId: IdSchema });
export const JobOutputsSchema = z.object({
  dir: z.string(),
  /** printf pattern of the frame files, relative to dir (null for movie-only outputs). */
  pattern: z.string().nullable(),
  movie: z.string().nullable(),
  frames: z.object({ first: z.number(), last: z.number(), count: z.number() }),
  fps: z.number(),
  fpsRational: z.string(),
  width: z.number(),
  height: z.number(),
});
export const JobDoneSchema = z.object({ type: z.literal('job.done'), jobId: IdSchema, outputs: JobOutputsSchema, result: ResultRecordSchema });
export const JobFailedSchema = z.object({ type: z.literal('job.failed'), jobId: IdSchema, error: ErrorPayloadSchema });
export const JobCancelledSchema = z.object({ type: z.literal('job.cancelled'), jobId: IdSchema });
export const JobInfoSchema = z.object({ type: z.literal('job.info'), reqId: ReqId, job: JobRecordSchema });
export const JobListedSchema = z.object({ type: z.literal('job.listed'), reqId: ReqId, jobs: z.array(JobSummarySchema) });
export const JobUnsubscribedSchema = z.object({ type: z.literal('job.unsubscribed'), reqId: ReqId, jobId: IdSchema });
export const ModelsListedSchema = z.object({ type: z.literal('models.listed'), reqId: ReqId, models: z.array(z.unknown()) });
export const FramesReadySchema = z.object({
  type: z.literal('frames.ready'),
  reqId: ReqId,
  uploadId: IdSchema,
  /** The PNG sequence the frames become (printf pattern, frame i = index i). */
  path: z.string(),
  count: z.number().int(),
});
/** Sent for each stored frame: clients pace their sends on these (UXP closes a socket whose send buffer fills). */
export const FramesAckSchema = z.object({ type: z.literal('frames.ack'), uploadId: IdSchema, index: z.number().int(), received: z.number().int(), count: z.number().int() });
export const FramesCompleteSchema = z.object({ type: z.literal('frames.complete'), uploadId: IdSchema, path: z.string(), count: z.number().int() });
export const FramesAbortedSchema = z.object({ type: z.literal('frames.aborted'), reqId: ReqId, uploadId: IdSchema });
export const PongSchema = z.object({ type: z.literal('pong'), reqId: ReqId, time: z.string() });
export const ErrorMessageSchema = z.object({
  type: z.literal('error'),
  reqId: ReqId,
  error: ErrorPayloadSchema,
  /** The job or upload the error concerns, when there is one. */
  jobId: IdSchema.optional(),
  uploadId: IdSchema.optional(),
});

export const DaemonMessageSchema = z.discriminatedUnion('type', [
  WelcomeSchema,
  JobAcceptedSchema,
  JobStartedSchema,
  JobProgressSchema,
  JobDoneSchema,
  JobFailedSchema,
  JobCancelledSchema,
  JobInfoSchema,
  JobListedSchema,
  JobUnsubscribedSchema,
  ModelsListedSchema,
  FramesReadySchema,
  FramesAckSchema,
  FramesCompleteSchema,
  FramesAbortedSchema,
  PongSchema,
  ErrorMessageSchema,
]);
export type DaemonMessage = z.infer<typeof DaemonMessageSchema>;
export type DaemonMessageOf<T extends DaemonMessage['type']> = Extract<DaemonMessage, { type: T }>;
export type ClientMessageOf<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>;

// ------------------------------------------------------------------- parsing

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: ErrorPayload; reqId?: string };

/** Describes zod issues in one short line ("job.output.dir: required; …"). */
export function describeIssues(issues: readonly z.core.$ZodIssue[], max = 5): string {
  const parts = issues.slice(0, max).map((i) => `${i.path.length ? i.path.join('.') : '(message)'}: ${i.message}`);
  if (issues.length > max) parts.push(`… ${issues.length - max} more`);
  return parts.join('; ');
}

function invalid(message: string, reqId?: string): { ok: false; error: ErrorPayload; reqId?: string } {
  return { ok: false, error: new DreamLayerError('MESSAGE_INVALID', { message, stage: 'server' }).toPayload(), ...(reqId ? { reqId } : {}) };
}

function parseWith<T>(schema: z.ZodType<T>, text: string, known: readonly string[]): ParseResult<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return invalid('The message is not JSON.');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return invalid('The message is not a JSON object.');
  const obj = raw as Record<string, unknown>;
  const reqId = typeof obj.reqId === 'string' && obj.reqId.length <= 64 ? obj.reqId : undefined;
  if (typeof obj.type !== 'string' || !known.includes(obj.type)) {
    const t = typeof obj.type === 'string' ? JSON.stringify(obj.type.slice(0, 40)) : 'missing';
    return invalid(`Unknown message type ${t} (known: ${known.join(', ')}).`, reqId);
  }
  const r = schema.safeParse(obj);
  if (!r.success) return invalid(`Invalid ${obj.type} message: ${describeIssues(r.error.issues)}.`, reqId);
  return { ok: true, message: r.data };
}

/** Parses and validates one client → daemon text message. Never throws. */
export function parseClientMessage(text: string): ParseResult<ClientMessage> {
  return parseWith(ClientMessageSchema, text, CLIENT_MESSAGE_TYPES);
}

export const DAEMON_MESSAGE_TYPES = DaemonMessageSchema.options.map((o) => o.shape.type.value);

/** Parses and validates one daemon → client text message (used by the panel). Never throws. */
export function parseDaemonMessage(text: string): ParseResult<DaemonMessage> {
  return parseWith(DaemonMessageSchema, text, DAEMON_MESSAGE_TYPES);
}
