/**
 * Where the daemon's logs live: `<data>/logs/daemon/daemon-<time>-<pid>.log`
 * (one per run) and `<data>/logs/jobs/<jobId>.log` (one per job, appended to by
 * every attempt, so the story of an interrupted and resumed job reads in order).
 */
import path from 'node:path';
import { LogFile, type LogFileOptions } from './log-file.ts';
import { pruneLogs } from './prune-logs.ts';

export interface LogManagerOptions {
  /** Daemon run logs to keep. */
  keepDaemonLogs?: number;
  /** Job logs to keep (the oldest go first). */
  keepJobLogs?: number;
  /** Size cap of one log file before it rolls over to `.1`. */
  maxFileBytes?: number;
  /** Cap of all job logs together. */
  maxJobLogsBytes?: number;
  echo?: LogFileOptions['echo'];
}

export class LogManager {
  readonly dir: string;
  readonly daemonDir: string;
  readonly jobsDir: string;
  private readonly opts: Required<Omit<LogManagerOptions, 'echo'>> & Pick<LogManagerOptions, 'echo'>;

  constructor(logsDir: string, opts: LogManagerOptions = {}) {
    this.dir = logsDir;
    this.daemonDir = path.join(logsDir, 'daemon');
    this.jobsDir = path.join(logsDir, 'jobs');
    this.opts = {
      keepDaemonLogs: opts.keepDaemonLogs ?? 20,
      keepJobLogs: opts.keepJobLogs ?? 500,
      maxFileBytes: opts.maxFileBytes ?? 10 * 1024 * 1024,
      maxJobLogsBytes: opts.maxJobLogsBytes ?? 500 * 1024 * 1024,
      echo: opts.echo,
    };
  }

  /** Opens this run's daemon log and prunes old ones. */
  openDaemonLog(): LogFile {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = new LogFile(path.join(this.daemonDir, `daemon-${stamp}-${process.pid}.log`), { maxBytes: this.opts.maxFileBytes, echo: this.opts.echo });
    pruneLogs(this.daemonDir, { keep: this.opts.keepDaemonLogs, protect: [file.path] });
    return file;
  }

  jobLogPath(jobId: string): string {
    return path.join(this.jobsDir, `${jobId}.log`);
  }

  /** Opens (appends to) a job's log. */
  openJobLog(jobId: string): LogFile {
    return new LogFile(this.jobLogPath(jobId), { maxBytes: this.opts.maxFileBytes });
  }

  /** Drops the oldest job logs beyond the limits, never those of `protect`. */
  pruneJobLogs(protect: readonly string[] = []): string[] {
    return pruneLogs(this.jobsDir, { keep: this.opts.keepJobLogs, maxTotalBytes: this.opts.maxJobLogsBytes, protect });
  }
}
