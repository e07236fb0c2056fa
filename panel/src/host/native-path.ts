/**
 * Native path helpers for the panel. The panel runs in UXP, CEP and browsers,
 * none of which has node:path, and it handles paths of the machine the host
 * runs on (Windows or POSIX), so the separator is taken from the path itself.
 */

/** The separator a native path uses ("\\" for "C:\\clips\\a.mov", "/" otherwise). */
export function separatorOf(p: string): '/' | '\\' {
  if (/^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')) return p.includes('/') && !p.includes('\\') ? '/' : '\\';
  return '/';
}

/** Joins a folder and names with the folder's own separator. */
export function joinNative(dir: string, ...names: string[]): string {
  const sep = separatorOf(dir);
  let out = dir.replace(/[\\/]+$/, '');
  for (const n of names) out += sep + n.replace(/^[\\/]+/, '');
  return out;
}

/** Last component of a native path. */
export function baseName(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] ?? p;
}

/** Folder of a native path (without the trailing separator). */
export function dirName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i <= 0 ? p.slice(0, i + 1) : p.slice(0, i);
}

/** Name without its extension ("clip.mov" → "clip"). */
export function stemOf(p: string): string {
  const b = baseName(p);
  const i = b.lastIndexOf('.');
  return i > 0 ? b.slice(0, i) : b;
}

/** Fills a printf frame pattern ("frame_%06d.png", "f%d.png") with a frame number. */
export function formatFramePattern(pattern: string, frame: number): string {
  let used = false;
  const out = pattern.replace(/%(0?)(\d*)d/, (_m, zero: string, width: string) => {
    used = true;
    const s = String(frame);
    const w = width ? Number(width) : 0;
    return s.length >= w ? s : (zero ? '0' : ' ').repeat(w - s.length) + s;
  });
  if (!used) throw new RangeError(`Expected a printf frame pattern with %d or %0Nd but received ${JSON.stringify(pattern)}`);
  return out;
}

const STILL_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'tif', 'tiff', 'psd', 'exr', 'bmp', 'gif', 'webp', 'dpx', 'tga', 'heic', 'avif']);

/** True for the file types hosts import as a single still image. */
export function isStillImagePath(p: string): boolean {
  const b = baseName(p);
  const i = b.lastIndexOf('.');
  return i > 0 && STILL_EXTENSIONS.has(b.slice(i + 1).toLowerCase());
}

/** A name safe for files on every OS (no separators, reserved characters, or trailing dots). */
export function safeFileName(name: string, max = 60): string {
  const s = name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_').replace(/\s+/g, ' ').trim().replace(/[. ]+$/, '');
  return (s || 'layer').slice(0, max);
}
