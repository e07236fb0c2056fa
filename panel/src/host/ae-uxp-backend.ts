/**
 * AeBackend over After Effects' UXP DOM (`require('aftereffects')`, beta,
 * every member Min Version 27.0). Calls are synchronous there. Members are
 * tested for presence rather than `typeName`, which is localized.
 */
import { AeBackendError, type AeBackend, type AeLayerKey, type AePlacePlan, type AePlaceResult, type AeRawLayer, type AeRawSelection, type AeRenderPlan } from './ae-backend.ts';
import { isStillImagePath } from './native-path.ts';
import type { LayerKind } from './host-adapter.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the AE UXP DOM has no published types */
type Any = any;

/** A File (ExtendScript), a path string (UXP) or null → native path. */
export function aeFilePath(f: Any): string | null {
  if (!f) return null;
  if (typeof f === 'string') return f;
  return f.fsName ?? f.nativePath ?? f.absoluteURI ?? null;
}

function isComp(item: Any): boolean {
  return !!item && (typeof item.layer === 'function' || item.numLayers !== undefined) && item.frameRate !== undefined;
}

/** Layer kind from members: adjustment flag, CompItem source, FileSource, SolidSource. */
export function aeLayerKind(layer: Any): LayerKind {
  if (layer.adjustmentLayer) return 'adjustment';
  const src = layer.source;
  if (!src) return 'other';
  if (isComp(src)) return 'comp';
  const ms = src.mainSource;
  if (ms && ms.file !== undefined && ms.file !== null) {
    if (ms.isStill) return 'still';
    return isStillImagePath(aeFilePath(ms.file) ?? '') ? 'sequence' : 'footage';
  }
  if (ms && ms.color !== undefined) return 'solid';
  if (src.file) return 'footage';
  return 'other';
}

function rawLayer(layer: Any, index: number, comp: Any): AeRawLayer {
  const src = layer.source;
  const kind = aeLayerKind(layer);
  const ms = src?.mainSource;
  const file = kind === 'footage' || kind === 'still' || kind === 'sequence' ? aeFilePath(src.file ?? ms?.file) : null;
  return {
    index,
    id: typeof layer.id === 'number' ? layer.id : null,
    name: String(layer.name),
    kind,
    filePath: file,
    footageMissing: !!src?.footageMissing,
    isStill: kind === 'still' || !!ms?.isStill,
    width: Number(layer.width ?? src?.width ?? comp.width),
    height: Number(layer.height ?? src?.height ?? comp.height),
    fps: Number(src?.frameRate || comp.frameRate),
    duration: Number(src?.duration ?? comp.duration),
    inPoint: Number(layer.inPoint),
    outPoint: Number(layer.outPoint),
    startTime: Number(layer.startTime),
    stretch: Number(layer.stretch ?? 100),
    timeRemapEnabled: !!layer.timeRemapEnabled,
    sourceId: src && typeof src.id === 'number' ? src.id : null,
  };
}

function layerAt(comp: Any, i: number): Any {
  if (typeof comp.layer === 'function') return comp.layer(i);
  return comp.layers?.[i - 1];
}

function layerCount(comp: Any): number {
  return Number(comp.numLayers ?? comp.layers?.length ?? 0);
}

function indexOfLayer(comp: Any, layer: Any): number {
  if (typeof layer.index === 'number') return layer.index;
  for (let i = 1; i <= layerCount(comp); i++) if (layerAt(comp, i) === layer) return i;
  return -1;
}

function findComp(project: Any, compId: number): Any {
  if (typeof project.itemByID === 'function') {
    const c = project.itemByID(compId);
    if (c) return c;
  }
  const n = Number(project.numItems ?? project.items?.length ?? 0);
  for (let i = 1; i <= n; i++) {
    const it = typeof project.item === 'function' ? project.item(i) : project.items[i - 1];
    if (it && it.id === compId) return it;
  }
  const a = project.activeItem;
  return a && a.id === compId ? a : null;
}

/** Finds the source layer by id, else by index + name, else by name. */
export function findLayer(comp: Any, key: AeLayerKey): { layer: Any; index: number } | null {
  const n = layerCount(comp);
  if (key.id !== null) {
    for (let i = 1; i <= n; i++) {
      const l = layerAt(comp, i);
      if (l && l.id === key.id) return { layer: l, index: i };
    }
  }
  const at = key.index <= n ? layerAt(comp, key.index) : null;
  if (at && at.name === key.name) return { layer: at, index: key.index };
  for (let i = 1; i <= n; i++) {
    const l = layerAt(comp, i);
    if (l && l.name === key.name) return { layer: l, index: i };
  }
  return null;
}

export class AeUxpBackend implements AeBackend {
  private readonly app: Any;
  private readonly mod: Any;

  /** `mod` is `require('aftereffects')`: docs show the app itself, observed builds export {app, enums, classes}. */
  constructor(mod: Any) {
    this.mod = mod;
    this.app = mod.app ?? mod;
  }

  async readSelection(): Promise<AeRawSelection> {
    const comp = this.app.project?.activeItem;
    if (!comp || !isComp(comp)) return { status: 'no-comp' };
    const c = { id: Number(comp.id), name: String(comp.name), frameRate: Number(comp.frameRate) };
    const selected: Any[] = Array.from(comp.selectedLayers ?? []);
    if (selected.length === 0) return { status: 'none', comp: c };
    if (selected.length > 1) return { status: 'several', comp: c, count: selected.length };
    const layer = selected[0];
    return { status: 'ok', comp: c, layer: rawLayer(layer, indexOfLayer(comp, layer), comp) };
  }

  async readLayer(key: AeLayerKey): Promise<AeRawLayer | null> {
    const comp = findComp(this.app.project, key.compId);
    if (!comp) return null;
    const hit = findLayer(comp, key);
    return hit ? rawLayer(hit.layer, hit.index, comp) : null;
  }

  private importOptions(): Any {
    const Ctor = this.mod.ImportOptions ?? this.mod.classes?.ImportOptions ?? this.app.ImportOptions;
    if (!Ctor) throw new AeBackendError('this After Effects build exposes no ImportOptions class');
    return new Ctor();
  }

  async place(plan: AePlacePlan): Promise<AePlaceResult> {
    const project = this.app.project;
    const comp = findComp(project, plan.source.compId);
    if (!comp) throw new AeBackendError(`the composition of "${plan.source.name}" is gone`);
    const src = findLayer(comp, plan.source);
    if (!src) throw new AeBackendError(`the layer "${plan.source.name}" is gone`);
    this.app.beginUndoGroup(plan.undoName);
    try {
      let existing: Any = null;
      for (let i = 1; i <= layerCount(comp); i++) {
        const l = layerAt(comp, i);
        if (l && l !== src.layer && l.name === plan.resultName && l.source && l.source.mainSource) existing = l;
      }
      let layer: Any;
      if (existing) {
        const item = existing.source;
        if (plan.sequence) item.replaceWithSequence(plan.file, false);
        else item.replace(plan.file);
        layer = existing;
        if (plan.sequence) item.mainSource.conformFrameRate = plan.fps;
      } else {
        const opts = this.importOptions();
        opts.file = plan.file;
        opts.sequence = plan.sequence;
        const item = project.importFile(opts);
        if (plan.sequence) item.mainSource.conformFrameRate = plan.fps;
        layer = comp.layers.add(item);
        layer.name = plan.resultName;
      }
      // Stretch first: setting it moves the out point; then start, then the trims.
      layer.stretch = plan.placement.stretch;
      layer.startTime = plan.placement.startTime;
      layer.inPoint = plan.placement.inPoint;
      layer.outPoint = plan.placement.outPoint;
      const srcNow = findLayer(comp, plan.source);
      if (srcNow) layer.moveBefore(srcNow.layer);
      return { layerIndex: indexOfLayer(comp, layer), replaced: !!existing };
    } finally {
      this.app.endUndoGroup();
    }
  }

  async renderComp(plan: AeRenderPlan): Promise<void> {
    const project = this.app.project;
    const comp = findComp(project, plan.compId);
    if (!comp) throw new AeBackendError('the precomp to render is gone');
    const rqItem = project.renderQueue.items.add(comp);
    try {
      rqItem.timeSpanStart = plan.start;
      rqItem.timeSpanDuration = plan.duration;
      const om = rqItem.outputModule(1);
      const templates: string[] = Array.from(om.templates ?? []);
      // Template names are localized and user-editable; pick one that writes PNG. [unconfirmed on AE 27 beta]
      const png = templates.find((t) => /png/i.test(t));
      if (!png) throw new AeBackendError('no render template writes a PNG sequence (add one named "PNG Sequence" in Edit > Templates > Output Module)');
      om.applyTemplate(png);
      om.file = plan.outputPath;
      project.renderQueue.render();
    } finally {
      try {
        rqItem.remove();
      } catch {
        /* a finished item may refuse removal; it is harmless in the queue */
      }
    }
  }
}
