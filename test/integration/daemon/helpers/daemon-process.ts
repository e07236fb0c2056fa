/**
 * Starts the real daemon as a child process (`node bin/dreamlayer.js serve
 * --port 0`) with its config and data folders in a temp dir, and reads its
 * port and token from the discovery file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, SHARED } from '../../../helpers/shared-path.ts';

export interface DaemonProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  token: string;
  url: string;
  wsUrl: string;
  cfgDir: string;
  dataDir: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill9(): Promise<void>;
}

export interface SpawnOptions {
  /** Temp root holding cfg/ and data/ (reuse it to restart "the same" daemon). */
  root: string;
  /** --allow folders (default: root and the shared reference shelf). */
  allow?: string[];
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

export function makeTempRoot(prefix = 'dl-daemon-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

const BIN = path.join(REPO_ROOT, 'bin', 'dreamlayer.js');

function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

export async function spawnDaemon(opts: SpawnOptions): Promise<DaemonProcess> {
  const cfgDir = path.join(opts.root, 'cfg');
  const dataDir = path.join(opts.root, 'data');
  const allow = opts.allow ?? [opts.root, SHARED];
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...allow.flatMap((d) => ['--allow', d]), ...(opts.args ?? [])], {
    cwd: REPO_ROOT,
    env: { ...process.env, DREAMLAYER_CONFIG_DIR: cfgDir, DREAMLAYER_DATA_DIR: dataDir, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (out.includes('Pairing token:')) {
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new Error(`daemon exited (${code}) before listening:\n${out}\n${err}`));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
  const info = JSON.parse(fs.readFileSync(path.join(cfgDir, 'daemon.json'), 'utf8')) as { port: number; token: string; pid: number; url: string; ws: string };
  if (info.pid !== child.pid) throw new Error(`discovery file names pid ${info.pid}, child is ${child.pid}`);
  return {
    child,
    pid: child.pid!,
    port: info.port,
    token: info.token,
    url: info.url,
    wsUrl: info.ws,
    cfgDir,
    dataDir,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return waitExit(child);
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await waitExit(child);
    },
  };
}

/** Runs the CLI (`node bin/dreamlayer.js ...args`) to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
