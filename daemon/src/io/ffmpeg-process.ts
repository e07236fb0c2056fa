/**
 * Spawning ffmpeg/ffprobe: a child process with stderr kept as a bounded tail (for error details),
 * an exit promise that never rejects, and cancellation by AbortSignal.
 *
 * child_process is used directly rather than fluent-ffmpeg: raw pipes with backpressure and exact
 * argument control are the whole job here, and fluent-ffmpeg adds a layer between us and both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';

/** Keeps the last `limit` characters of a stream of text. */
export class TextTail {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly limit = 8192) {}
  push(chunk: Buffer | string): void {
    const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    this.parts.push(s);
    this.size += s.length;
    while (this.size > this.limit * 2 && this.parts.length > 1) this.size -= this.parts.shift()!.length;
  }
  text(): string {
    const all = this.parts.join('');
    return (all.length > this.limit ? all.slice(all.length - this.limit) : all).trim();
  }
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  spawnError?: Error;
}

/** A running tool: the process, its stderr tail and a promise of its exit. */
export interface ToolProcess {
  proc: ChildProcess;
  stderr: TextTail;
  exited: Promise<ExitStatus>;
  /** Whether the process has exited. */
  readonly done: boolean;
  /** Kills the process (SIGKILL: ffmpeg has nothing to flush for us when we give up on it). */
  kill(): void;
}

/** Starts `bin args` with stdin/stdout as requested and stderr captured. */
export function startTool(bin: string, args: string[], opts: { stdin?: 'pipe' | 'ignore'; stdout?: 'pipe' | 'ignore' } = {}): ToolProcess {
  const proc = spawn(bin, args, { stdio: [opts.stdin ?? 'ignore', opts.stdout ?? 'pipe', 'pipe'], windowsHide: true });
  const stderr = new TextTail();
  proc.stderr?.on('data', (c: Buffer) => stderr.push(c));
  let done = false;
  const exited = new Promise<ExitStatus>((resolve) => {
    proc.once('error', (err) => {
      // 'error' without 'close' means it never started; with a started process 'close' follows.
      if (proc.pid === undefined) {
        done = true;
        resolve({ code: null, signal: null, spawnError: err });
      }
    });
    proc.once('close', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  // Writes to a dead ffmpeg's stdin raise EPIPE on the stream; the exit status reports the failure instead.
  proc.stdin?.on('error', () => {});
  return {
    proc,
    stderr,
    exited,
    get done() {
      return done;
    },
    kill() {
      if (!done && proc.exitCode === null && proc.signalCode === null) {
        try {
          proc.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}

/** Resolves with the exit status, or undefined after `ms` milliseconds. */
export async function waitExit(tool: ToolProcess, ms: number): Promise<ExitStatus | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([tool.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RunOutput {
  status: ExitStatus;
  stdout: Buffer;
  stderr: string;
}

/** Runs a tool to completion, collecting stdout (bounded by `maxStdout`) and the stderr tail. Abort kills it and throws CANCELLED. */
export async function runTool(bin: string, args: string[], opts: { signal?: AbortSignal; maxStdout?: number } = {}): Promise<RunOutput> {
  throwIfAborted(opts.signal);
  const tool = startTool(bin, args);
  const chunks: Buffer[] = [];
  let size = 0;
  const max = opts.maxStdout ?? 64 << 20;
  tool.proc.stdout!.on('data', (c: Buffer) => {
    size += c.length;
    if (size > max) tool.kill();
    else chunks.push(c);
  });
  const onAbort = () => tool.kill();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const status = await tool.exited;
    throwIfAborted(opts.signal);
    if (status.spawnError) throw spawnFailure(bin, status.spawnError);
    return { status, stdout: Buffer.concat(chunks), stderr: tool.stderr.text() };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** FFMPEG_FAILED for a binary that would not start. */
export function spawnFailure(bin: string, err: Error): DreamLayerError {
  return new DreamLayerError('FFMPEG_FAILED', {
    message: `Could not start "${bin}": ${err.message}.`,
    hint: 'Reinstall DreamLayer, install ffmpeg on the PATH, or set DREAMLAYER_FFMPEG / DREAMLAYER_FFPROBE.',
    cause: err,
  });
}

/** Throws CANCELLED if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, stage?: 'decode' | 'encode' | 'write' | 'probe'): void {
  if (signal?.aborted) throw new DreamLayerError('CANCELLED', { stage });
}

/** Last few lines of a stderr tail, for messages (the full tail goes in `details`). */
export function lastLines(text: string, n = 2): string {
  return text.split(/\r?\n/).filter((l) => l.trim()).slice(-n).join(' / ');
}

/** Text in ffmpeg's stderr that says the input itself is damaged or not media. */
export const CORRUPT_INPUT_RE = /Invalid data found|partial file|moov atom not found|error while decoding|corrupt|truncat|Invalid NAL|missing picture|Error splitting the input|could not find corresponding|EOF|End of file|Header missing|does not contain any stream/i;
/** Text in ffmpeg's stderr that says a decoder is missing. */
export const NO_DECODER_RE = /Decoder \(codec [^)]*\) not found|Unknown decoder|Failed to open codec|unsupported codec|no decoder|not supported/i;

/**
 * A path as ffmpeg should see it: absolute, with `file:` in front when a colon could be taken for a protocol
 * name ("clip:v2.mov"); a Windows drive letter is not such a colon.
 */
export function ffmpegPath(p: string): string {
  const abs = path.resolve(p);
  const rest = /^[A-Za-z]:[\\/]/.test(abs) ? abs.slice(2) : abs;
  return rest.includes(':') ? `file:${abs}` : abs;
}
