/**
 * After Effects adapter: the frame arithmetic and the wording, over an
 * AeBackend (UXP DOM or ExtendScript through CEP).
 */
import { HostError, resultLayerName, type HostAdapter, type ImportedLayer, type ImportRequest, type LayerRef, type RenderedFrames } from './host-adapter.ts';
import { aeResultPlacement, aeSourceFrameRange, aeTimingWarnings, type AeLayerTiming } from './ae-timing.ts';
import { AeBackendError, type AeBackend, type AeLayerKey, type AeRawLayer } from './ae-backend.ts';
import { formatFramePattern, joinNative } from './native-path.ts';

function timingOf(l: AeRawLayer): AeLayerTiming {
  return { inPoint: l.inPoint, outPoint: l.outPoint, startTime: l.startTime, stretch: l.stretch, fps: l.fps, duration: l.duration, timeRemapEnabled: l.timeRemapEnabled };
}

function keyOf(ref: LayerRef): AeLayerKey {
  try {
    return JSON.parse(ref.id) as AeLayerKey;
  } catch {
    throw new HostError('IMPORT_FAILED', `The layer reference "${ref.id}" is not one this panel made.`, 'Select the layer again and run the effect again.');
  }
}

async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof HostError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    const code = e instanceof AeBackendError ? 'IMPORT_FAILED' : 'HOST_UNAVAILABLE';
    throw new HostError(code, `After Effects could not ${what}: ${msg}`, 'Check that the composition is still open and the layer still exists, then try again.');
  }
}

export class AfterEffectsAdapter implements HostAdapter {
  constructor(
    private readonly backend: AeBackend,
    readonly hostName = 'After Effects',
  ) {}

  async getSelectedLayer(): Promise<LayerRef> {
    const sel = await guard('read the selection', () => this.backend.readSelection());
    if (sel.status === 'no-comp') throw new HostError('NO_SELECTION', 'No composition is active.', 'Open a composition and select one layer in its timeline.');
    if (sel.status === 'none') throw new HostError('NO_SELECTION', `No layer is selected in "${sel.comp.name}".`, 'Select one layer in the timeline.');
    if (sel.status === 'several') throw new HostError('NO_SELECTION', `${sel.count} layers are selected in "${sel.comp.name}".`, 'Select just one layer; the effect runs on one layer at a time.');
    const l = sel.layer;
    const hasFile = l.kind === 'footage' || l.kind === 'still' || l.kind === 'sequence';
    if (hasFile && (l.footageMissing || !l.filePath)) {
      throw new HostError('SOURCE_MISSING', `The footage of "${l.name}" is missing${l.filePath ? ` (${l.filePath})` : ''}.`, 'Re-link it (File > Replace Footage) and try again.');
    }
    const still = l.kind === 'still' || l.isStill;
    const fps = still || !(l.fps > 0) ? sel.comp.frameRate : l.fps;
    const range = still ? { first: 0, last: 0 } : aeSourceFrameRange({ ...timingOf(l), fps });
    const key: AeLayerKey = { compId: sel.comp.id, index: l.index, id: l.id, name: l.name };
    return {
      id: JSON.stringify(key),
      name: l.name,
      kind: still && hasFile ? 'still' : l.kind,
      sourcePath: hasFile ? l.filePath : null,
      firstFrame: range.first,
      lastFrame: range.last,
      fps,
      width: l.width,
      height: l.height,
      warnings: still ? [] : aeTimingWarnings(timingOf(l)),
    };
  }

  async importResult(layer: LayerRef, result: ImportRequest): Promise<ImportedLayer> {
    const key = keyOf(layer);
    const live = await guard('find the source layer', () => this.backend.readLayer(key));
    if (!live) throw new HostError('IMPORT_FAILED', `The source layer "${key.name}" is no longer in its composition.`, `The result is in ${result.dir}; import it by hand (File > Import > File, PNG Sequence).`);
    const still = layer.kind === 'still';
    const file = result.pattern ? joinNative(result.dir, formatFramePattern(result.pattern, result.frames.first)) : joinNative(result.dir, result.movie ?? '');
    const placement = aeResultPlacement({ ...timingOf(live), fps: layer.fps }, layer.firstFrame, still);
    const name = resultLayerName(layer.name, result.effect);
    const placed = await guard('import the result', () =>
      this.backend.place({
        source: key,
        resultName: name,
        file,
        sequence: !!result.pattern && !still && result.frames.count > 1,
        fps: layer.fps,
        placement,
        undoName: `DreamLayer: ${result.effect}`,
      }),
    );
    return { name, path: file, replaced: placed.replaced, where: `layer ${placed.layerIndex}, above "${key.name}"`, warnings: layer.warnings };
  }

  async renderLayer(layer: LayerRef, folder: string): Promise<RenderedFrames> {
    if (layer.kind !== 'comp') {
      throw new HostError(
        'UNSUPPORTED',
        `"${layer.name}" is a ${layer.kind} layer: it has no source of its own to render.`,
        'Pre-compose it (Layer > Pre-compose, "Move all attributes"), select the precomp layer and run again.',
      );
    }
    const key = keyOf(layer);
    const live = await guard('find the layer to render', () => this.backend.readLayer(key));
    if (!live || live.sourceId === null) throw new HostError('UNSUPPORTED', `The precomp behind "${layer.name}" cannot be found.`, 'Select the layer again.');
    const fps = layer.fps;
    await guard('render the precomp', () =>
      this.backend.renderComp({
        compId: live.sourceId!,
        start: layer.firstFrame / fps,
        duration: (layer.lastFrame - layer.firstFrame + 1) / fps,
        outputPath: joinNative(folder, 'frame_[#####].png'),
      }),
    );
    // The render queue numbers files by comp frame, starting at the span's first frame.
    return { path: joinNative(folder, 'frame_%05d.png'), first: layer.firstFrame, last: layer.lastFrame };
  }
}
