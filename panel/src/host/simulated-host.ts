/**
 * The browser's stand-in for a host: a small timeline of layers backed by
 * real files on the daemon's machine (or a generated solid, streamed through
 * the daemon's frames mode), that shows what the panel imported. Same
 * contract as the real adapters: results land above the source, same start,
 * named "<source> – <effect>", and a re-run replaces the earlier result.
 */
import { HostError, resultLayerName, type HostAdapter, type ImportedLayer, type ImportRequest, type LayerKind, type LayerRef, type RgbaFrame } from './host-adapter.ts';
import { formatFramePattern, joinNative } from './native-path.ts';

export interface SimLayer {
  id: string;
  name: string;
  kind: LayerKind;
  /** Native path of the file, null for a generated solid. */
  path: string | null;
  firstFrame: number;
  lastFrame: number;
  fps: number;
  width: number;
  height: number;
  /** Timeline seconds where the layer starts. */
  start: number;
  /** Solid colour (kind 'solid'), CSS hex. */
  color?: string;
  /** For results: the layer it was made from, and the effect. */
  resultOf?: { layerId: string; effect: string; jobFrames: { first: number; last: number; count: number } };
  /** A data: URL to show on the layer (results: the last preview). */
  thumbnail?: string;
}

export type SimLayerInit = Omit<SimLayer, 'id' | 'start' | 'kind'> & { id?: string; start?: number; kind?: LayerKind };

let nextId = 1;

export class SimulatedHost implements HostAdapter {
  readonly hostName = 'Browser (simulated timeline)';
  /** Top of the stack first, like AE's timeline. */
  layers: SimLayer[] = [];
  selectedId: string | null = null;
  private readonly listeners = new Set<() => void>();

  /** `initial` lists layers top first, as the timeline shows them; the top one starts selected. */
  constructor(initial: SimLayerInit[] = []) {
    for (const l of [...initial].reverse()) this.addLayer(l);
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Adds a layer at the top and selects it. */
  addLayer(init: SimLayerInit): SimLayer {
    const layer: SimLayer = { kind: init.path ? 'footage' : 'solid', start: 0, ...init, id: init.id ?? `sim${nextId++}` };
    this.layers.unshift(layer);
    this.selectedId = layer.id;
    this.changed();
    return layer;
  }

  select(id: string | null): void {
    this.selectedId = id;
    this.changed();
  }

  setThumbnail(layerName: string, dataUrl: string): void {
    const l = this.layers.find((x) => x.name === layerName);
    if (l) {
      l.thumbnail = dataUrl;
      this.changed();
    }
  }

  async getSelectedLayer(): Promise<LayerRef> {
    const l = this.layers.find((x) => x.id === this.selectedId);
    if (!l) throw new HostError('NO_SELECTION', 'No layer is selected in the timeline.', 'Click a layer in the timeline below the panel (or add one).');
    const hasFile = l.kind === 'footage' || l.kind === 'still' || l.kind === 'sequence';
    return {
      id: l.id,
      name: l.name,
      kind: l.kind,
      sourcePath: hasFile ? l.path : null,
      firstFrame: l.firstFrame,
      lastFrame: l.lastFrame,
      fps: l.fps,
      width: l.width,
      height: l.height,
      warnings: [],
    };
  }

  async importResult(layer: LayerRef, result: ImportRequest): Promise<ImportedLayer> {
    const srcIndex = this.layers.findIndex((x) => x.id === layer.id);
    if (srcIndex < 0) throw new HostError('IMPORT_FAILED', `The layer "${layer.name}" is no longer in the timeline.`, `The result is in ${result.dir}.`);
    const src = this.layers[srcIndex]!;
    const name = resultLayerName(layer.name, result.effect);
    const file = result.pattern ? joinNative(result.dir, formatFramePattern(result.pattern, result.frames.first)) : joinNative(result.dir, result.movie ?? '');
    const fields = {
      name,
      kind: (result.frames.count > 1 ? 'sequence' : 'still') as LayerKind,
      path: file,
      firstFrame: 0,
      lastFrame: result.frames.count - 1,
      fps: layer.fps,
      width: result.width,
      height: result.height,
      start: src.start,
      resultOf: { layerId: src.id, effect: result.effect, jobFrames: result.frames },
    };
    const existing = this.layers.find((x) => x.name === name && x.resultOf?.layerId === src.id);
    let replaced = false;
    if (existing) {
      Object.assign(existing, fields);
      replaced = true;
      // Keep it directly above the source, as a host would after moveBefore.
      this.layers.splice(this.layers.indexOf(existing), 1);
    }
    const placed: SimLayer = existing ?? { ...fields, id: `sim${nextId++}` };
    this.layers.splice(this.layers.indexOf(src), 0, placed);
    this.changed();
    return { name, path: file, replaced, where: `above "${src.name}"`, warnings: [] };
  }

  /** A solid has no file: its frames are generated here and streamed to the daemon's frames mode. */
  async *streamFrames(layer: LayerRef): AsyncIterable<RgbaFrame> {
    const l = this.layers.find((x) => x.id === layer.id);
    if (!l || l.kind !== 'solid') throw new HostError('UNSUPPORTED', `"${layer.name}" cannot be streamed.`, 'Pick a layer backed by a file.');
    const [r, g, b] = hexColor(l.color ?? '#4a7bd0');
    const { width, height } = l;
    for (let f = layer.firstFrame; f <= layer.lastFrame; f++) {
      const rgba = new Uint8Array(width * height * 4);
      // A lit diagonal band that moves with the frame number, so the result is not a flat colour.
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const t = 0.5 + 0.5 * Math.sin((x + y + f * 6) / 14);
          const i = (y * width + x) * 4;
          rgba[i] = Math.round(r * (0.5 + 0.5 * t));
          rgba[i + 1] = Math.round(g * (0.5 + 0.5 * t));
          rgba[i + 2] = Math.round(b * (0.5 + 0.5 * t));
          rgba[i + 3] = 255;
        }
      }
      yield { width, height, rgba };
    }
  }
}

function hexColor(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)] : [74, 123, 208];
}

/** Layers handed to the page in `?layers=<JSON>` (how tests and demos seed the timeline). */
export function layersFromQuery(search: string): SimLayerInit[] | null {
  const raw = new URLSearchParams(search).get('layers');
  if (!raw) return null;
  try {
    const arr = JSON.parse(raw) as unknown;
    if (!Array.isArray(arr)) return null;
    return arr.filter(isLayerInit);
  } catch {
    return null;
  }
}

function isLayerInit(x: unknown): x is SimLayerInit {
  const l = x as Partial<SimLayerInit>;
  return !!l && typeof l.name === 'string' && (l.path === null || typeof l.path === 'string') && [l.firstFrame, l.lastFrame, l.fps, l.width, l.height].every((n) => typeof n === 'number' && Number.isFinite(n));
}
