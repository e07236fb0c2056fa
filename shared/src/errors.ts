/**
 * The closed catalogue of error codes shared by the daemon, the CLI and the panel.
 * Every failure a user can meet maps to one code, with a default message and a
 * hint that says what to do next. The wire form is {@link ErrorPayload}.
 */
export const ERROR_CATALOG = {
  INPUT_NOT_FOUND: { message: 'The input file does not exist.', hint: 'Check the path, or re-link the missing footage in the host.' },
  INPUT_EMPTY: { message: 'The input file is empty.', hint: 'The file may still be copying or was truncated; use a complete file.' },
  INPUT_UNREADABLE: { message: 'The input is not a readable video or image (corrupt or truncated).', hint: 'Open it in a player; re-export it from the source (e.g. as ProRes or H.264) and try again.' },
  CODEC_UNSUPPORTED: { message: 'The input uses a codec this ffmpeg cannot decode.', hint: 'Transcode it to ProRes, H.264 or a PNG sequence, or install a newer ffmpeg on the PATH.' },
  FRAME_RANGE_INVALID: { message: 'The frame range lies outside the clip.', hint: 'Use --frames A:B with 0 <= A <= B < frame count (both ends included).' },
  MODEL_NOT_FOUND: { message: 'The model is not in the model store.', hint: 'Run `dreamlayer models pull ID`, or pass --model /path/to/model.onnx.' },
  MODEL_INVALID: { message: 'The model file is not a valid ONNX model (wrong format or truncated).', hint: 'Download it again (`dreamlayer models pull ID` verifies the checksum) or export it again.' },
  MODEL_CONTRACT: { message: "The model's inputs or outputs do not fit this effect.", hint: 'Use a model made for this task (see `dreamlayer models list`), or check its tensor contract in the README.' },
  MODEL_CHECKSUM: { message: 'The downloaded model does not match its published checksum.', hint: 'The download was corrupted or the upstream file changed; run `dreamlayer models pull ID` again.' },
  DOWNLOAD_FAILED: { message: 'The model download failed.', hint: 'Check the network connection and run the same command again: it resumes where it stopped.' },
  OUTPUT_UNWRITABLE: { message: 'The output folder cannot be written.', hint: 'Choose a folder you can write to, or fix its permissions.' },
  DISK_FULL: { message: 'The disk is full.', hint: 'Free some space or choose an output folder on another disk; finished frames are kept and the job can resume.' },
  DEVICE_UNAVAILABLE: { message: 'The requested compute device is not available.', hint: 'Use --device auto or cpu, or install the GPU runtime (see the README, "GPU acceleration").' },
  PARAM_INVALID: { message: 'A parameter is invalid.', hint: 'See `dreamlayer <effect> --help` for the valid values.' },
  FORMAT_UNSUPPORTED: { message: 'The output format is not supported by this effect or this ffmpeg.', hint: 'Choose png, mp4 or prores.' },
  FFMPEG_FAILED: { message: 'ffmpeg failed.', hint: 'See the ffmpeg output in the job log; a corrupt input or a full disk are the usual causes.' },
  INFERENCE_FAILED: { message: 'The network failed to run on a frame.', hint: 'Try --device cpu, a smaller --width, or a smaller --tile size.' },
  PATH_NOT_ALLOWED: { message: 'The path is outside the folders this daemon may use.', hint: 'Start the daemon with --allow DIR for that folder, or move the media into an allowed folder.' },
  AUTH_FAILED: { message: 'The pairing token is missing or wrong.', hint: 'Copy the token printed by `dreamlayer serve` (or in its discovery file) into the panel settings.' },
  ORIGIN_REFUSED: { message: 'Requests from this web origin are refused.', hint: 'Only the DreamLayer panel and the page served by the daemon may connect.' },
  HOST_REFUSED: { message: 'The Host header is not a loopback name.', hint: 'Connect to http://127.0.0.1:PORT.' },
  MESSAGE_INVALID: { message: 'The message does not match the protocol.', hint: 'Update the panel and the daemon to the same version.' },
  MESSAGE_TOO_LARGE: { message: 'The message is larger than the daemon accepts.', hint: 'Send file paths rather than media, or frames one per message.' },
  RATE_LIMITED: { message: 'Too many messages in a short time.', hint: 'Slow down; the connection can be used again in a moment.' },
  PROTOCOL_VERSION: { message: 'The panel and the daemon speak different protocol versions.', hint: 'Update both to the same DreamLayer release.' },
  JOB_NOT_FOUND: { message: 'No job has this id.', hint: 'List the jobs with `dreamlayer jobs list`.' },
  JOB_STATE: { message: 'The job cannot do that in its current state.', hint: 'Check its state with `dreamlayer jobs get ID`.' },
  EFFECT_UNKNOWN: { message: 'No effect has this name.', hint: 'Effects: stylize, depth, matte, dream, upscale.' },
  CANCELLED: { message: 'The job was cancelled.', hint: 'Resume it with `dreamlayer jobs resume ID` to continue from the last finished frame.' },
  INTERNAL: { message: 'An internal error occurred.', hint: 'Please report it with the job log (`dreamlayer jobs get ID`).' },
  DAEMON_RUNNING: { message: 'Another DreamLayer daemon is already using this data folder.', hint: 'Use that daemon (`dreamlayer jobs list` talks to it), stop it first, or set DREAMLAYER_DATA_DIR to another folder.' },
  PORT_IN_USE: { message: 'The port is already in use.', hint: 'Choose another one with --port, or --port 0 for any free port.' },
  UPLOAD_INCOMPLETE: { message: 'The frames upload is missing frames or does not exist.', hint: 'Send every frame announced in frames.begin (wait for frames.complete) before job.submit.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;
export const ERROR_CODES = Object.keys(ERROR_CATALOG) as ErrorCode[];

/** The pipeline stage in which an error happened. */
export type ErrorStage = 'validate' | 'probe' | 'decode' | 'model' | 'infer' | 'temporal' | 'write' | 'encode' | 'server' | 'job' | 'download';

/** Wire form of an error (job.failed, error messages, result records). */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  hint: string;
  stage?: ErrorStage;
  frame?: number;
  details?: string;
}

export interface DreamLayerErrorOptions {
  message?: string;
  hint?: string;
  stage?: ErrorStage;
  frame?: number;
  /** Extra diagnostic text (e.g. the tail of ffmpeg's stderr). */
  details?: string;
  cause?: unknown;
}

/** The one error type of DreamLayer: a stable code, a message naming the thing and the problem, and a hint naming the fix. */
export class DreamLayerError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly stage?: ErrorStage;
  readonly frame?: number;
  readonly details?: string;

  constructor(code: ErrorCode, opts: DreamLayerErrorOptions = {}) {
    super(opts.message ?? ERROR_CATALOG[code].message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DreamLayerError';
    this.code = code;
    this.hint = opts.hint ?? ERROR_CATALOG[code].hint;
    this.stage = opts.stage;
    this.frame = opts.frame;
    this.details = opts.details;
  }

  toPayload(): ErrorPayload {
    const p: ErrorPayload = { code: this.code, message: this.message, hint: this.hint };
    if (this.stage) p.stage = this.stage;
    if (this.frame !== undefined) p.frame = this.frame;
    if (this.details) p.details = this.details;
    return p;
  }

  /** One line for a terminal: `error CODE: message (hint)`. */
  toLine(): string {
    const where = this.frame !== undefined ? ` [frame ${this.frame}]` : '';
    return `error ${this.code}${where}: ${this.message} ${this.hint}`;
  }
}

export function isDreamLayerError(e: unknown): e is DreamLayerError {
  return e instanceof DreamLayerError;
}

/** Wraps any thrown value as a DreamLayerError; known system errors (ENOSPC, EACCES…) get their own code. */
export function toDreamLayerError(e: unknown, fallback: ErrorCode = 'INTERNAL', opts: DreamLayerErrorOptions = {}): DreamLayerError {
  if (e instanceof DreamLayerError) return e;
  const err = e as NodeJS.ErrnoException | undefined;
  const sys = err && typeof err === 'object' ? err.code : undefined;
  const text = err instanceof Error ? err.message : String(e);
  if (sys === 'ENOSPC') return new DreamLayerError('DISK_FULL', { ...opts, message: `The disk is full (${text}).`, cause: e });
  if (sys === 'EACCES' || sys === 'EPERM' || sys === 'EROFS') return new DreamLayerError('OUTPUT_UNWRITABLE', { ...opts, message: `Cannot write: ${text}.`, cause: e });
  if (e && typeof e === 'object' && (e as Error).name === 'AbortError') return new DreamLayerError('CANCELLED', { ...opts, cause: e });
  return new DreamLayerError(fallback, { ...opts, message: opts.message ?? text, cause: e });
}
