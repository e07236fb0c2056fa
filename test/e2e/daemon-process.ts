/**
 * The real daemon as a child process (`node bin/dreamlayer.js serve`), with
 * its config and data folders in a temp dir; the port and token come from
 * the discovery file it writes. Restartable on the same port, killable hard.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/shared-path.ts';

export interface DaemonInfo {
  port: number;
  token: string;
  pid: number;
  url: string;
}

export class DaemonProcess {
  child: ChildProcess | null = null;
  info: DaemonInfo | null = null;
  output = '';

  constructor(readonly opts: { configDir: string; dataDir: string; allow: string[] }) {}

  /** Starts `serve` (port 0 = any) and resolves once its discovery file names this process. */
  async start(port = 0, timeoutMs = 45_000): Promise<DaemonInfo> {
    const args = [path.join(REPO_ROOT, 'bin', 'dreamlayer.js'), 'serve', '--port', String(port), ...this.opts.allow.flatMap((d) => ['--allow', d])];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, DREAMLAYER_CONFIG_DIR: this.opts.configDir, DREAMLAYER_DATA_DIR: this.opts.dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    const file = path.join(this.opts.configDir, 'daemon.json');
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if (child.exitCode !== null) throw new Error(`dreamlayer serve exited with ${child.exitCode}:\n${this.output}`);
      try {
        const d = JSON.parse(fs.readFileSync(file, 'utf8')) as { port: number; token: string; pid: number };
        // An earlier run's file stays behind after a kill: wait for ours.
        if (d.pid === child.pid) {
          this.info = { port: d.port, token: d.token, pid: d.pid, url: `http://127.0.0.1:${d.port}` };
          return this.info;
        }
      } catch {
        /* not written yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`dreamlayer serve did not start within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Stops the daemon (SIGKILL = a crash: no chance to save anything) and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    await exited;
    this.child = null;
  }
}
