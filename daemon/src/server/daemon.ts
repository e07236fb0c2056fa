/**
 * Starts the daemon: one HTTP server on 127.0.0.1 carrying express (HTTP API,
 * panel) and ws (`/v1/ws`), the job queue over the data folder, the discovery
 * file, and the logs. `startDaemon` is what `dreamlayer serve` calls; tests can
 * call it too, with a stub engine.
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { DREAMLAYER_VERSION, PROTOCOL_VERSION } from '../../../shared/src/version.ts';
import { DEFAULT_DAEMON_PORT } from '../../../shared/src/protocol/messages.ts';
import { acquireDataDirLock } from '../jobs/data-dir-lock.ts';
import { JobManager } from '../jobs/job-manager.ts';
import { JobStore } from '../jobs/job-store.ts';
import { LogManager } from '../logs/log-manager.ts';
import { configDir as defaultConfigDir, dataDir as defaultDataDir, dataPaths } from './app-dirs.ts';
import type { DaemonContext } from './daemon-context.ts';
import { discoveryPath, previousToken, writeDiscovery, type DiscoveryInfo } from './discovery-file.ts';
import { loadEngineDeps, type EngineDeps } from './engine-deps.ts';
import { FrameUploads } from './frame-uploads.ts';
import { createHttpApp } from './http-app.ts';
import { confineSpec } from './job-submission.ts';
import { PathPolicy } from './path-policy.ts';
import { newToken } from './token.ts';
import { WsHub } from './ws-hub.ts';

/** Default port (fixed, so panel manifests can list it in `network.domains`). */
export const DEFAULT_PORT = DEFAULT_DAEMON_PORT;
/** The daemon only ever binds the IPv4 loopback (macOS ATS exempts IP literals, not `localhost`). */
export const BIND_HOST = '127.0.0.1';

export interface DaemonOptions {
  /** 0 = any free port (the real one is in the result and the discovery file). */
  port?: number;
  /** Folders inputs/outputs may lie in (default: the home folder). */
  allow?: string[];
  concurrency?: number;
  /** Resume interrupted jobs at start (default true). */
  autoResume?: boolean;
  configDir?: string;
  dataDir?: string;
  /** Make a new pairing token instead of keeping the previous one. */
  newToken?: boolean;
  /** WebSocket messages per second per connection (default 200, bursts 4×). */
  rateLimit?: number;
  /** Engine parts; missing ones come from the real engine. */
  engine?: Partial<EngineDeps>;
  /** Folder of the panel's browser build served at `/` (default panel/dist/web, built if stale); null = none. */
  panelDir?: string | null;
  /** Copy log lines to this (e.g. stderr). */
  echoLog?: (line: string) => void;
  /** Throttle of progress events per job (default 200 ms). */
  progressIntervalMs?: number;
  /** Remove frames uploads older than this that no job needs (default 7 days). */
  uploadMaxAgeMs?: number;
}

export interface RunningDaemon {
  port: number;
  url: string;
  wsUrl: string;
  token: string;
  discoveryFile: string;
  dataDir: string;
  allowed: readonly string[];
  logFile: string;
  manager: JobManager;
  resumed: string[];
  interrupted: string[];
  /** Stops: running jobs are left `interrupted` and resume on the next start. */
  close(): Promise<void>;
}

/** The browser build of the panel (panel/build.ts `panelWebDir()`). */
const REPO_PANEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'panel', 'dist', 'web');

/**
 * A fresh clone has no web build: build it in the background (esbuild, under a
 * second) so `/` serves the current panel. Never blocks or fails the start:
 * without esbuild (a production install) the existing build, or a placeholder, is served.
 */
function buildPanelInBackground(log: { info(m: string): void; warn(m: string): void }): void {
  import('../../../panel/build.ts')
    .then((b) => b.ensurePanelBuilt())
    .then((dir) => log.info(`panel web build ready in ${dir}`))
    .catch((e: unknown) => log.warn(`panel web build unavailable: ${(e as Error).message}`));
}

export async function startDaemon(opts: DaemonOptions = {}): Promise<RunningDaemon> {
  const cfgDir = opts.configDir ?? defaultConfigDir();
  const data = dataPaths(opts.dataDir ?? defaultDataDir());
  const lock = acquireDataDirLock(data.root, 'daemon');
  const logs = new LogManager(data.logs, { echo: opts.echoLog });
  const log = logs.openDaemonLog();
  let server: http.Server | null = null;
  try {
    const engine = await resolveEngine(opts.engine);
    const token = (!opts.newToken && previousToken(cfgDir)) || newToken();
    const uploads = new FrameUploads(data.uploads);
    const paths = new PathPolicy(opts.allow?.length ? opts.allow : [os.homedir()], [data.uploads]);
    const store = new JobStore(data.jobs);
    const manager = new JobManager({
      store,
      runner: engine.runner,
      logs,
      log,
      concurrency: opts.concurrency ?? 1,
      progressIntervalMs: opts.progressIntervalMs,
      prepare: (spec) => confineSpec(spec, paths, engine.listEffects()),
    });
    let port = opts.port ?? DEFAULT_PORT;
    const rateLimit = opts.rateLimit ?? 200;
    const ctx: DaemonContext = {
      token,
      port: () => port,
      startedAt: Date.now(),
      manager,
      uploads,
      paths,
      effects: () => engine.listEffects(),
      providers: () => engine.availableProviders(),
      models: async () => await engine.listModels(),
      rateLimit,
      log,
    };
    if (opts.panelDir === undefined) buildPanelInBackground(log);
    const app = createHttpApp(ctx, { panelDir: opts.panelDir === undefined ? REPO_PANEL_DIR : opts.panelDir });
    server = http.createServer(app);
    // Slow-loris and idle limits: loopback clients are quick.
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
    const hub = new WsHub(ctx);
    server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
    port = await listen(server, port);
    const url = `http://${BIND_HOST}:${port}`;
    const info: DiscoveryInfo = {
      service: 'dreamlayer',
      version: DREAMLAYER_VERSION,
      protocol: PROTOCOL_VERSION,
      pid: process.pid,
      port,
      url,
      ws: `ws://${BIND_HOST}:${port}/v1/ws`,
      token,
      startedAt: new Date(ctx.startedAt).toISOString(),
      dataDir: data.root,
    };
    const discoveryFile = writeDiscovery(cfgDir, info);
    log.info(`DreamLayer ${DREAMLAYER_VERSION} (pid ${process.pid}) listening on ${url}; data ${data.root}; allowed ${paths.roots.join(', ')}; concurrency ${opts.concurrency ?? 1}`);
    const { interrupted, resumed } = manager.load({ autoResume: opts.autoResume ?? true });
    if (interrupted.length) log.info(`${interrupted.length} interrupted job(s) found; ${resumed.length ? `resuming ${resumed.join(', ')}` : 'left for `dreamlayer jobs resume ID`'}`);
    const needed = new Set(manager.list().map((r) => r.uploadId).filter((u): u is string => !!u));
    uploads.prune(opts.uploadMaxAgeMs ?? 7 * 24 * 3600 * 1000, needed);

    let closing: Promise<void> | null = null;
    const srv = server;
    return {
      port,
      url,
      wsUrl: info.ws,
      token,
      discoveryFile,
      dataDir: data.root,
      allowed: paths.roots,
      logFile: log.path,
      manager,
      resumed,
      interrupted,
      close: () =>
        (closing ??= (async () => {
          log.info('shutting down');
          hub.close();
          await manager.shutdown();
          await new Promise<void>((r) => {
            srv.close(() => r());
            srv.closeAllConnections();
          });
          log.info('stopped');
          log.close();
          lock.release();
        })()),
    };
  } catch (e) {
    log.error(`start failed: ${(e as Error).message}`);
    server?.close();
    log.close();
    lock.release();
    throw e;
  }
}

async function resolveEngine(given: Partial<EngineDeps> | undefined): Promise<EngineDeps> {
  if (given?.runner && given.listEffects && given.availableProviders && given.listModels) return given as EngineDeps;
  return { ...(await loadEngineDeps()), ...given };
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE') reject(new DreamLayerError('PORT_IN_USE', { stage: 'server', message: `Port ${port} on ${BIND_HOST} is already in use (another DreamLayer daemon?).` }));
      else if (e.code === 'EACCES') reject(new DreamLayerError('PORT_IN_USE', { stage: 'server', message: `Port ${port} needs privileges this user lacks.` }));
      else reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host: BIND_HOST, exclusive: true });
  });
}

export { discoveryPath };
