/**
 * `dreamlayer serve`: runs the local daemon the panel talks to (HTTP + WebSocket
 * on 127.0.0.1), prints its URL and pairing token, and runs until Ctrl-C.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { DEFAULT_PORT, startDaemon } from '../../server/daemon.ts';

function intOption(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `${name} must be an integer ${min}..${max}, got "${v}".` });
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Run the local daemon for the panel: HTTP + WebSocket on 127.0.0.1, durable job queue, pairing token.')
    .addOption(new Option('--port <port>', 'port on 127.0.0.1 (0 = any free port)').default(DEFAULT_PORT).argParser(intOption('--port', 0, 65535)))
    .option('--allow <dir...>', 'folders inputs and outputs may lie in (repeatable; default: your home folder)')
    .addOption(new Option('--concurrency <n>', 'jobs running at once').default(1).argParser(intOption('--concurrency', 1, 64)))
    .option('--no-auto-resume', 'leave interrupted jobs for `dreamlayer jobs resume ID` instead of resuming them at start')
    .option('--new-token', 'make a new pairing token (panels must pair again)')
    .addOption(new Option('--rate-limit <n>', 'WebSocket messages per second per connection (bursts up to 4x)').default(200).argParser(intOption('--rate-limit', 1, 100000)))
    .option('--verbose', 'copy the daemon log to stderr')
    .action(async (opts: { port: number; allow?: string[]; concurrency: number; autoResume: boolean; newToken?: boolean; rateLimit: number; verbose?: boolean }) => {
      const daemon = await startDaemon({
        port: opts.port,
        allow: opts.allow?.map((d) => path.resolve(d)),
        concurrency: opts.concurrency,
        autoResume: opts.autoResume,
        newToken: Boolean(opts.newToken),
        rateLimit: opts.rateLimit,
        echoLog: opts.verbose ? (line) => process.stderr.write(line) : undefined,
      });
      const out = [
        `DreamLayer daemon listening on ${daemon.url}`,
        `WebSocket: ${daemon.wsUrl}`,
        `Pairing token: ${daemon.token}`,
        `Discovery file: ${daemon.discoveryFile}`,
        `Data folder: ${daemon.dataDir}`,
        `Allowed folders: ${daemon.allowed.join(', ')}`,
        `Log: ${daemon.logFile}`,
      ];
      if (daemon.interrupted.length) out.push(`Interrupted jobs: ${daemon.interrupted.join(', ')} (${daemon.resumed.length ? 'resuming' : 'resume with `dreamlayer jobs resume ID`'})`);
      const earlier = daemon.resumed.filter((id) => !daemon.interrupted.includes(id));
      if (earlier.length) out.push(`Resuming jobs left interrupted earlier: ${earlier.join(', ')}`);
      process.stdout.write(out.join('\n') + '\n');
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (sig: string) => {
          if (stopping) {
            // Second Ctrl-C: leave now; running jobs stay 'running' on disk and resume next start.
            process.exit(130);
          }
          stopping = true;
          process.stderr.write(`${sig}: stopping (running jobs resume on the next start)…\n`);
          daemon.close().then(resolve, resolve);
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
