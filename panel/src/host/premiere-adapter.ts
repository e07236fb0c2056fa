/**
 * Premiere Pro adapter (UXP, `require('premierepro')`, 25.6+). Every getter
 * returns a Promise; edits are actions created and executed inside
 * `project.lockedAccess(() => project.executeTransaction(...))` (since 26.3
 * actions must also be *created* inside lockedAccess).
 */
import { HostError, resultLayerName, type HostAdapter, type ImportedLayer, type ImportRequest, type LayerRef } from './host-adapter.ts';
import { formatFramePattern, isStillImagePath, joinNative } from './native-path.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- @adobe/premierepro types are not a dependency */
type Any = any;

/** Premiere's time unit: 254016000000 ticks per second. */
export const TICKS_PER_SECOND = 254016000000;

/** Ticks of a TickTime (exact, from the `ticks` string) or, lacking them, from seconds. */
export function tickTimeTicks(t: Any): number {
  if (t && typeof t.ticks === 'string' && /^-?\d+$/.test(t.ticks)) return Number(t.ticks);
  if (t && typeof t.ticksNumber === 'number') return t.ticksNumber;
  return Math.round(Number(t?.seconds ?? 0) * TICKS_PER_SECOND);
}

/** The frame a TickTime falls on at `fps` (in/out points sit on frame boundaries; round, don't floor). */
export function ticksToFrame(t: Any, fps: number): number {
  return Math.round((tickTimeTicks(t) * fps) / TICKS_PER_SECOND);
}

/** "1920 x 1080 (1.0)" style text from the project's "Video Info" column → size. */
export function parseVideoInfo(columnsJson: string): { width: number; height: number } | null {
  const m = /(\d{2,5})\s*x\s*(\d{2,5})/.exec(columnsJson.match(/Video Info[^}]*/i)?.[0] ?? '');
  return m ? { width: Number(m[1]), height: Number(m[2]) } : null;
}

interface PremiereKey {
  sequence: string;
  track: number;
  startTicks: number;
  name: string;
}

function sameMediaType(a: Any, b: Any): boolean {
  return a === b || (a != null && b != null && String(a) === String(b));
}

export class PremiereAdapter implements HostAdapter {
  readonly hostName = 'Premiere Pro';

  constructor(private readonly ppro: Any) {}

  private async projectAndSequence(): Promise<{ project: Any; seq: Any }> {
    const project = await this.ppro.Project.getActiveProject();
    if (!project) throw new HostError('NO_SELECTION', 'No project is open.', 'Open a project and select a clip in a sequence.');
    const seq = await project.getActiveSequence();
    if (!seq) throw new HostError('NO_SELECTION', 'No sequence is active.', 'Open a sequence and select one clip in its timeline.');
    return { project, seq };
  }

  private async isVideo(ti: Any): Promise<boolean> {
    const video = this.ppro.Constants?.MediaType?.VIDEO;
    if (typeof ti.getMediaType === 'function' && video !== undefined) return sameMediaType(await ti.getMediaType(), video);
    return typeof ti.createAddVideoTransitionAction === 'function';
  }

  async getSelectedLayer(): Promise<LayerRef> {
    const { project, seq } = await this.projectAndSequence();
    const selection = await seq.getSelection();
    const all: Any[] = (await selection.getTrackItems()) ?? [];
    const video: Any[] = [];
    for (const ti of all) if (await this.isVideo(ti)) video.push(ti);
    const seqName = String(seq.name ?? 'the sequence');
    if (video.length === 0) throw new HostError('NO_SELECTION', `No video clip is selected in "${seqName}".`, 'Click one video clip in the timeline.');
    if (video.length > 1) throw new HostError('NO_SELECTION', `${video.length} video clips are selected in "${seqName}".`, 'Select just one video clip; the effect runs on one clip at a time.');
    const ti = video[0];
    const name = String(await ti.getName());
    const clip = this.ppro.ClipProjectItem.cast(await ti.getProjectItem());
    const settings = await seq.getSettings();
    const seqFps = Number(settings?.getVideoFrameRate?.()?.value ?? 0) || 25;
    const frame = await seq.getFrameSize();
    const track = Number(await ti.getTrackIndex());
    const start = await ti.getStartTime();
    const key: PremiereKey = { sequence: String(seq.guid ?? seqName), track, startTicks: tickTimeTicks(start), name };

    const isNested = typeof clip?.isSequence === 'function' ? await clip.isSequence() : false;
    const adjustment = typeof ti.isAdjustmentLayer === 'function' ? await ti.isAdjustmentLayer() : false;
    const path = isNested || !clip ? '' : String((await clip.getMediaFilePath()) ?? '');
    const base = { id: JSON.stringify(key), name, width: Number(frame?.width ?? 0), height: Number(frame?.height ?? 0), warnings: [] as string[] };
    if (isNested || adjustment || !path) {
      const kind = isNested ? 'comp' : adjustment ? 'adjustment' : 'other';
      return { ...base, kind, sourcePath: null, firstFrame: 0, lastFrame: 0, fps: seqFps };
    }
    if (typeof clip.isOffline === 'function' && (await clip.isOffline())) {
      throw new HostError('SOURCE_MISSING', `The media of "${name}" is offline (${path}).`, 'Re-link it (right-click > Link Media) and try again.');
    }
    try {
      const cols = await this.ppro.Metadata?.getProjectColumnsMetadata?.(clip);
      const size = typeof cols === 'string' ? parseVideoInfo(cols) : null;
      if (size) Object.assign(base, size);
    } catch {
      /* the sequence frame size stays as the estimate [unconfirmed column format] */
    }
    if (isStillImagePath(path)) return { ...base, kind: 'still', sourcePath: path, firstFrame: 0, lastFrame: 0, fps: seqFps };

    const interp = await clip.getFootageInterpretation();
    const fps = Number(interp?.getFrameRate?.() ?? 0) || seqFps;
    const first = Math.max(0, ticksToFrame(await ti.getInPoint(), fps));
    const last = Math.max(first, ticksToFrame(await ti.getOutPoint(), fps) - 1);
    const speed = Number((await ti.getSpeed?.()) ?? 1) || 1;
    const reversed = typeof ti.isSpeedReversed === 'function' ? !!(await ti.isSpeedReversed()) : false;
    if (speed !== 1) base.warnings.push(`The clip plays at ${Math.round(speed * 100)}% speed: the result gets a frame-rate override so it lines up.`);
    if (reversed) base.warnings.push("The clip is reversed; the result plays forward (Premiere's UXP API cannot reverse a clip).");
    return { ...base, kind: 'footage', sourcePath: path, firstFrame: first, lastFrame: last, fps };
  }

  private async findSourceItem(seq: Any, key: PremiereKey): Promise<Any> {
    const track = await seq.getVideoTrack(key.track);
    const items: Any[] = (await track?.getTrackItems(this.clipType(), false)) ?? [];
    for (const ti of items) if (tickTimeTicks(await ti.getStartTime()) === key.startTicks) return ti;
    return null;
  }

  private clipType(): number {
    return this.ppro.Constants?.TrackItemType?.CLIP ?? this.ppro.VideoClipTrackItem?.TRACKITEMTYPE_CLIP ?? 1;
  }

  /** Finds the project item that points at `file` (importFiles only returns a boolean). */
  private async findImported(project: Any, file: string): Promise<Any> {
    const norm = (p: string): string => p.replace(/\\/g, '/').toLowerCase();
    const want = norm(file);
    let found: Any = null;
    const visit = async (folder: Any, depth: number): Promise<void> => {
      const items: Any[] = (await folder.getItems()) ?? [];
      for (const it of items) {
        const clip = this.ppro.ClipProjectItem.cast(it);
        if (clip && typeof clip.getMediaFilePath === 'function' && norm(String(await clip.getMediaFilePath())) === want) found = clip;
        const sub = depth < 3 ? this.ppro.FolderItem?.cast?.(it) : null;
        if (sub && typeof sub.getItems === 'function' && sub !== folder) await visit(sub, depth + 1);
      }
    };
    await visit(await project.getRootItem(), 0);
    return found;
  }

  private transaction(project: Any, undo: string, build: () => Any[]): void {
    let ok: unknown = true;
    project.lockedAccess(() => {
      ok = project.executeTransaction((compound: Any) => {
        for (const a of build()) compound.addAction(a);
      }, undo);
    });
    if (ok === false) throw new HostError('IMPORT_FAILED', `Premiere Pro refused the edit "${undo}".`, 'Check that the target track is not locked, then import the result by hand.');
  }

  async importResult(layer: LayerRef, result: ImportRequest): Promise<ImportedLayer> {
    const key = JSON.parse(layer.id) as PremiereKey;
    const { project, seq } = await this.projectAndSequence();
    if (String(seq.guid ?? seq.name) !== key.sequence) {
      throw new HostError('IMPORT_FAILED', `The sequence of "${key.name}" is not the active one.`, 'Open that sequence again; the result waits in the job list (Import).');
    }
    const src = await this.findSourceItem(seq, key);
    if (!src) throw new HostError('IMPORT_FAILED', `The clip "${key.name}" has moved or is gone.`, `The result is in ${result.dir}; import it by hand (File > Import, "Image Sequence").`);
    const still = layer.kind === 'still';
    const sequence = !!result.pattern && !still && result.frames.count > 1;
    const file = result.pattern ? joinNative(result.dir, formatFramePattern(result.pattern, result.frames.first)) : joinNative(result.dir, result.movie ?? '');
    const name = resultLayerName(layer.name, result.effect);

    const ok = await project.importFiles([file], true, await project.getRootItem(), sequence);
    if (!ok) throw new HostError('IMPORT_FAILED', `Premiere Pro did not import ${file}.`, 'Check that the file exists and the project is not read-only.');
    const clip = await this.findImported(project, file);
    if (!clip) throw new HostError('IMPORT_FAILED', `The imported ${file} is not in the project.`, 'Look for it in the Project panel and place it by hand.');

    const speed = Number((await src.getSpeed?.()) ?? 1) || 1;
    const start = await src.getStartTime();
    const end = await src.getEndTime();
    const [s0, e0] = [tickTimeTicks(start), tickTimeTicks(end)];

    // The track above, unless another clip (not an earlier result) occupies that span.
    const count = Number(await seq.getVideoTrackCount());
    let target = key.track + 1;
    let replaced = false;
    for (; target < count; target++) {
      const items: Any[] = (await (await seq.getVideoTrack(target)).getTrackItems(this.clipType(), false)) ?? [];
      let blocked = false;
      let ours = false;
      for (const ti of items) {
        const [s, e] = [tickTimeTicks(await ti.getStartTime()), tickTimeTicks(await ti.getEndTime())];
        if (s >= e0 || e <= s0) continue;
        if (String(await ti.getName()) === name) ours = true;
        else blocked = true;
      }
      if (!blocked) {
        replaced = ours;
        break;
      }
    }

    this.transaction(project, `DreamLayer: ${result.effect} (interpret)`, () => {
      const actions: Any[] = [];
      // A speed-changed clip: conform the result so its frames span the same sequence time.
      if (sequence) actions.push(clip.createSetOverrideFrameRateAction(layer.fps * speed));
      if (typeof clip.createSetNameAction === 'function') actions.push(clip.createSetNameAction(name));
      return actions;
    });
    const editor = this.ppro.SequenceEditor.getEditor(seq);
    this.transaction(project, `DreamLayer: ${result.effect}`, () => [
      // Overwrite on an existing track; insert past the last track creates one (documented for insert only).
      target < count ? editor.createOverwriteItemAction(clip, start, target, 0) : editor.createInsertProjectItemAction(clip, start, target, 0, true),
    ]);
    if (still) {
      const placed = await this.findSourceItem(seq, { ...key, track: target });
      if (placed) this.transaction(project, `DreamLayer: ${result.effect} (duration)`, () => [placed.createSetEndAction(end)]);
    }
    return { name, path: file, replaced, where: `V${target + 1}, above V${key.track + 1}`, warnings: layer.warnings };
  }
}
