/** Short texts for a 260 px panel. */
import type { ErrorPayload } from '../../../shared/src/errors.ts';
import { DaemonRequestError } from '../client/daemon-client.ts';
import { HostError } from '../host/host-adapter.ts';

/** 75 → "1:15", 3725 → "1:02:05", null → "…". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '…';
  const s = Math.max(0, Math.round(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export function formatFps(fps: number): string {
  return fps >= 10 ? fps.toFixed(0) : fps >= 1 ? fps.toFixed(1) : fps.toFixed(2);
}

/** "12/48 frames · 3.2 fps · ETA 0:11". */
export function progressText(p: { done: number; total: number; fps: number; etaSeconds: number | null; stage?: string }): string {
  const parts = [`${p.done}/${p.total} frames`];
  if (p.fps > 0) parts.push(`${formatFps(p.fps)} fps`);
  if (p.done < p.total) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  return parts.join(' · ');
}

/** What to tell the user: a message and what to do next. */
export interface PlainError {
  message: string;
  hint: string;
  code?: string;
}

export function plainError(e: unknown): PlainError {
  if (e instanceof DaemonRequestError) return fromPayload(e.payload);
  if (e instanceof HostError) return { message: e.message, hint: e.hint, code: e.code };
  if (e && typeof e === 'object' && 'message' in e && 'hint' in e) return fromPayload(e as ErrorPayload);
  const message = e instanceof Error ? e.message : String(e);
  return { message, hint: 'If this keeps happening, restart the daemon and reopen the panel.' };
}

export function fromPayload(p: ErrorPayload): PlainError {
  const where = p.frame !== undefined ? ` (frame ${p.frame})` : '';
  return { message: `${p.message}${where}`, hint: p.hint, code: p.code };
}

/** Last path component, for compact display. */
export function shortPath(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts.length ? parts[parts.length - 1]! : p;
}
