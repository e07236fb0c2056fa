/**
 * An append-only log file written with synchronous writes, so the lines that
 * explain a crash are on disk even when the process is killed with SIGKILL.
 * Log lines are rare (stages, milestones, errors), never per pixel, so a
 * syscall per line costs nothing that matters.
 */
import fs from 'node:fs';
import path from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Anything that takes log lines: a file, the console, or nothing. */
export interface Logger {
  log(level: LogLevel, message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LogFileOptions {
  /** When the file grows past this, it is renamed to `<name>.1` (replacing an older one) and a new file begins. */
  maxBytes?: number;
  /** Also copy each line here (e.g. stderr for `serve --verbose`). */
  echo?: (line: string) => void;
}

/** One log file; lines are `ISO-time LEVEL message`. */
export class LogFile implements Logger {
  readonly path: string;
  private fd: number | null;
  private size: number;
  private readonly maxBytes: number;
  private readonly echo?: (line: string) => void;

  constructor(file: string, opts: LogFileOptions = {}) {
    this.path = file;
    this.maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
    this.echo = opts.echo;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  log(level: LogLevel, message: string): void {
    // One line per entry: embedded newlines (stderr tails) are indented so the file stays greppable.
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message.replace(/\r?\n/g, '\n    ')}\n`;
    this.echo?.(line);
    if (this.fd === null) return;
    try {
      if (this.size + line.length > this.maxBytes) this.roll();
      const buf = Buffer.from(line);
      fs.writeSync(this.fd, buf);
      this.size += buf.length;
    } catch {
      // A log that cannot be written (disk full) must never take the daemon down with it.
    }
  }

  info(message: string): void {
    this.log('info', message);
  }
  warn(message: string): void {
    this.log('warn', message);
  }
  error(message: string): void {
    this.log('error', message);
  }

  private roll(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    fs.renameSync(this.path, `${this.path}.1`);
    this.fd = fs.openSync(this.path, 'a', 0o600);
    this.size = 0;
  }

  close(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.fd = null;
  }
}

/** A logger that drops everything (tests, CLI read-only commands). */
export const nullLogger: Logger = { log() {}, info() {}, warn() {}, error() {} };
