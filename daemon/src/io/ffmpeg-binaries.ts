/**
 * Finds the ffmpeg and ffprobe executables the daemon runs.
 *
 * Order of preference, decided separately for ffmpeg and for ffprobe:
 * 1. `DREAMLAYER_FFMPEG` / `DREAMLAYER_FFPROBE` (an explicit choice always wins);
 * 2. an `ffmpeg` / `ffprobe` on the PATH whose libavcodec is newer than the bundled one
 *    (a newer build decodes more codecs and has fewer bugs);
 * 3. the static builds shipped by @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe.
 *
 * Versions are compared by the libavcodec version that `-version` prints, because release
 * builds ("6.1.1") and git snapshots ("N-47683-g0e8eb07980") are not comparable by name.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { DreamLayerError } from '../../../shared/src/errors.ts';

export type BinarySource = 'system' | 'bundled';

/** The resolved executables. `source`/`version` describe ffmpeg; `ffprobeSource`/`ffprobeVersion` describe ffprobe. */
export interface FfmpegBinaries {
  ffmpeg: string;
  ffprobe: string;
  /** 'system' for a PATH binary or an environment override, 'bundled' for the npm-installed static build. */
  source: BinarySource;
  /** ffmpeg's version label as printed by `-version` (e.g. "6.1.1" or "N-47683-g0e8eb07980-static"). */
  version: string;
  ffprobeSource: BinarySource;
  ffprobeVersion: string;
}

/** What `-version` tells about a build. */
export interface FfmpegVersionInfo {
  /** The word after "ffmpeg version" / "ffprobe version". */
  label: string;
  /** Release number when the label is one ("4.1.3" → [4,1,3]). */
  release?: number[];
  /** libavcodec major.minor.micro, present in release and snapshot builds alike. */
  libavcodec?: number[];
}

const require = createRequire(import.meta.url);

/** Parses the text of `ffmpeg -version` (or ffprobe's). Returns undefined when it is not ffmpeg output. */
export function parseFfmpegVersion(text: string): FfmpegVersionInfo | undefined {
  const m = /^\s*ff(?:mpeg|probe)\s+version\s+(\S+)/m.exec(text);
  if (!m) return undefined;
  const label = m[1];
  const info: FfmpegVersionInfo = { label };
  const rel = /^n?(\d+(?:\.\d+)*)/.exec(label);
  if (rel) info.release = rel[1].split('.').map(Number);
  const lav = /^\s*libavcodec\s+(\d+)\.\s*(\d+)\.\s*(\d+)/m.exec(text);
  if (lav) info.libavcodec = [Number(lav[1]), Number(lav[2]), Number(lav[3])];
  return info;
}

function cmpNums(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * Orders two builds: >0 when `a` is newer, <0 when older, 0 when equal or not comparable.
 * libavcodec versions are compared when both have one, else release numbers.
 */
export function compareFfmpegVersions(a: FfmpegVersionInfo, b: FfmpegVersionInfo): number {
  if (a.libavcodec && b.libavcodec) return cmpNums(a.libavcodec, b.libavcodec);
  if (a.release && b.release) return cmpNums(a.release, b.release);
  return 0;
}

/**
 * Finds an executable on a PATH string, portably: on Windows each PATHEXT extension (.EXE, .CMD…) is tried.
 * Returns the absolute path or undefined.
 */
export function findOnPath(name: string, envPath = process.env.PATH ?? '', platform: NodeJS.Platform = process.platform, pathExt = process.env.PATHEXT): string | undefined {
  const win = platform === 'win32';
  const exts = win ? (pathExt ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : [''];
  const delimiter = win ? ';' : ':';
  for (const rawDir of envPath.split(delimiter)) {
    const dir = rawDir.replace(/^"(.*)"$/, '$1');
    if (!dir) continue;
    for (const ext of exts) {
      // A name that already carries the extension is tried as is too.
      for (const candidate of ext && name.toLowerCase().endsWith(ext.toLowerCase()) ? [name] : [name + ext]) {
        const full = path.join(dir, candidate);
        try {
          if (!fs.statSync(full).isFile()) continue;
          if (!win) fs.accessSync(full, fs.constants.X_OK);
          return path.resolve(full);
        } catch {
          // not here, or not executable: keep looking
        }
      }
    }
  }
  return undefined;
}

/** Runs `<bin> -version`; undefined when it does not start or does not look like ffmpeg. */
export function readBinaryVersion(bin: string): FfmpegVersionInfo | undefined {
  try {
    const r = spawnSync(bin, ['-version'], { encoding: 'utf8', timeout: 15_000, windowsHide: true });
    if (r.error || r.status !== 0) return undefined;
    return parseFfmpegVersion(r.stdout);
  } catch {
    return undefined;
  }
}

function bundledPath(pkg: '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe'): string | undefined {
  try {
    const p = (require(pkg) as { path?: string }).path;
    return p && fs.existsSync(p) ? p : undefined;
  } catch {
    return undefined; // no build for this platform
  }
}

interface Choice {
  bin: string;
  source: BinarySource;
  version: string;
}

function choose(name: 'ffmpeg' | 'ffprobe', env: NodeJS.ProcessEnv): Choice {
  const envVar = name === 'ffmpeg' ? 'DREAMLAYER_FFMPEG' : 'DREAMLAYER_FFPROBE';
  const override = env[envVar];
  if (override) {
    const v = readBinaryVersion(override);
    if (!v) {
      throw new DreamLayerError('FFMPEG_FAILED', {
        message: `${envVar} points to "${override}", which does not run as ${name}.`,
        hint: `Set ${envVar} to a working ${name} executable, or unset it to use the bundled one.`,
      });
    }
    return { bin: override, source: 'system', version: v.label };
  }
  const bundled = bundledPath(name === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe');
  const bundledV = bundled ? readBinaryVersion(bundled) : undefined;
  const sys = findOnPath(name, env.PATH ?? env.Path ?? '', process.platform, env.PATHEXT);
  const sysV = sys && sys !== bundled ? readBinaryVersion(sys) : undefined;
  if (sys && sysV && (!bundled || !bundledV || compareFfmpegVersions(sysV, bundledV) > 0)) {
    return { bin: sys, source: 'system', version: sysV.label };
  }
  if (bundled && bundledV) return { bin: bundled, source: 'bundled', version: bundledV.label };
  if (sys && sysV) return { bin: sys, source: 'system', version: sysV.label };
  throw new DreamLayerError('FFMPEG_FAILED', {
    message: `No working ${name} was found (neither on the PATH nor bundled with DreamLayer).`,
    hint: `Install ffmpeg (which includes ffprobe) on the PATH, or set ${envVar} to its full path.`,
  });
}

/** Resolves the binaries from an environment, without caching (tests and diagnostics). */
export function detectFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegBinaries {
  const f = choose('ffmpeg', env);
  const p = choose('ffprobe', env);
  return { ffmpeg: f.bin, ffprobe: p.bin, source: f.source, version: f.version, ffprobeSource: p.source, ffprobeVersion: p.version };
}

let cached: FfmpegBinaries | undefined;
const listCache = new Map<string, ReadonlySet<string>>();

/** The ffmpeg/ffprobe pair every io function uses; resolved once per process. Throws FFMPEG_FAILED when none works. */
export function resolveFfmpeg(): FfmpegBinaries {
  cached ??= detectFfmpeg(process.env);
  return cached;
}

/** Forgets the cached resolution and capability lists (after changing DREAMLAYER_FFMPEG, in tests). */
export function resetFfmpegCache(): void {
  cached = undefined;
  listCache.clear();
}

/**
 * Parses `ffmpeg -encoders` / `-decoders` / `-filters` listings into a set of names. For codecs the set holds both
 * the implementation name ("libaom-av1") and the codec id it serves ("av1"), so a codec id from ffprobe can be asked.
 */
export function parseCapabilityList(text: string, kind: 'encoders' | 'decoders' | 'filters'): Set<string> {
  const out = new Set<string>();
  const lines = text.split(/\r?\n/);
  if (kind === 'filters') {
    for (const line of lines) {
      const m = /^\s*[T.][S.][C.]?\s+(\w+)\s+\S+->\S+/.exec(line);
      if (m) out.add(m[1]);
    }
    return out;
  }
  let body = false;
  for (const line of lines) {
    if (!body) {
      if (/^\s*-{3,}\s*$/.test(line)) body = true;
      continue;
    }
    const m = /^\s*[VASD.][A-Z.]{5}\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    out.add(m[1]);
    const codec = /\(codec (\S+)\)\s*$/.exec(m[2]);
    out.add(codec ? codec[1] : m[1]);
  }
  return out;
}

function capabilities(kind: 'encoders' | 'decoders' | 'filters'): ReadonlySet<string> {
  let set = listCache.get(kind);
  if (!set) {
    const r = spawnSync(resolveFfmpeg().ffmpeg, ['-hide_banner', `-${kind}`], { encoding: 'utf8', timeout: 15_000, windowsHide: true, maxBuffer: 8 << 20 });
    set = r.status === 0 ? parseCapabilityList(r.stdout, kind) : new Set();
    listCache.set(kind, set);
  }
  return set;
}

/** Whether the resolved ffmpeg has an encoder of this name or for this codec id (e.g. 'exr', 'libx265', 'prores_ks'). */
export function hasEncoder(name: string): boolean {
  return capabilities('encoders').has(name);
}

/** Whether the resolved ffmpeg can decode this codec id (as ffprobe names it, e.g. 'h264', 'av1', 'qoi'). */
export function hasDecoder(name: string): boolean {
  return capabilities('decoders').has(name);
}

/** Whether the resolved ffmpeg has this filter (e.g. 'zscale'). */
export function hasFilter(name: string): boolean {
  return capabilities('filters').has(name);
}
