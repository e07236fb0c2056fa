/**
 * Where the daemon keeps things, per platform (no dependency on env-paths):
 * - config (discovery file `daemon.json`): Linux $XDG_CONFIG_HOME/dreamlayer or ~/.config/dreamlayer,
 *   macOS ~/Library/Application Support/DreamLayer, Windows %APPDATA%\DreamLayer;
 *   `DREAMLAYER_CONFIG_DIR` replaces the whole folder.
 * - data (jobs/, logs/, uploads/): Linux $XDG_DATA_HOME/dreamlayer or ~/.local/share/dreamlayer,
 *   macOS ~/Library/Application Support/DreamLayer, Windows %LOCALAPPDATA%\DreamLayer;
 *   `DREAMLAYER_DATA_DIR` replaces the whole folder.
 * Same spelling as the model store (models/store.ts), which sits in `<data>/models`.
 */
import os from 'node:os';
import path from 'node:path';

type Env = NodeJS.ProcessEnv;

function xdg(env: Env, name: 'XDG_CONFIG_HOME' | 'XDG_DATA_HOME', fallback: string): string {
  const v = env[name];
  // XDG: a relative value is invalid and must be ignored.
  return v && path.posix.isAbsolute(v) ? v : fallback;
}

/** The folder holding `daemon.json`. */
export function configDir(env: Env = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  if (env.DREAMLAYER_CONFIG_DIR) return path.resolve(env.DREAMLAYER_CONFIG_DIR);
  if (platform === 'win32') return path.win32.join(env.APPDATA || path.win32.join(home, 'AppData', 'Roaming'), 'DreamLayer');
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'DreamLayer');
  return path.posix.join(xdg(env, 'XDG_CONFIG_HOME', path.posix.join(home, '.config')), 'dreamlayer');
}

/** The folder holding jobs/, logs/ and uploads/. */
export function dataDir(env: Env = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  if (env.DREAMLAYER_DATA_DIR) return path.resolve(env.DREAMLAYER_DATA_DIR);
  if (platform === 'win32') return path.win32.join(env.LOCALAPPDATA || path.win32.join(home, 'AppData', 'Local'), 'DreamLayer');
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'DreamLayer');
  return path.posix.join(xdg(env, 'XDG_DATA_HOME', path.posix.join(home, '.local', 'share')), 'dreamlayer');
}

/** The sub-folders of the data folder. */
export function dataPaths(root: string): { root: string; jobs: string; logs: string; uploads: string } {
  return { root, jobs: path.join(root, 'jobs'), logs: path.join(root, 'logs'), uploads: path.join(root, 'uploads') };
}
