/**
 * A fake After Effects DOM following the documented shapes (D_AE / ae-scripting
 * docs): Project (activeItem, item(i) 1-based, itemByID, importFile), CompItem
 * (layer(i) 1-based, numLayers, layers.add, selectedLayers 0-based array),
 * AVLayer (inPoint/outPoint/startTime in comp seconds, stretch %, moveBefore,
 * index), FootageItem (file, mainSource {isStill, conformFrameRate},
 * replaceWithSequence), render queue. Two flavours: 'uxp' (paths are strings,
 * `new mod.ImportOptions()`), 'extendscript' (File objects with fsName,
 * `new ImportOptions(new File(p))`, globals). Every mutation is logged.
 */
export type Flavour = 'uxp' | 'extendscript';

export class FakeFile {
  constructor(readonly fsName: string) {}
}

let ids = 100;

export class FakeFootage {
  id = ids++;
  name: string;
  file: string | FakeFile | null;
  mainSource: { file: string | FakeFile | null; isStill: boolean; conformFrameRate: number; nativeFrameRate: number; color?: number[] };
  frameRate: number;
  width: number;
  height: number;
  duration: number;
  footageMissing: boolean;
  constructor(
    private readonly app: FakeAeApp,
    o: { name: string; path: string | null; fps?: number; width?: number; height?: number; duration?: number; still?: boolean; missing?: boolean; solid?: boolean },
  ) {
    const f = o.path === null ? null : app.flavour === 'uxp' ? o.path : new FakeFile(o.path);
    this.name = o.name;
    this.file = f;
    this.mainSource = { file: f, isStill: !!o.still, conformFrameRate: 0, nativeFrameRate: o.fps ?? 0, ...(o.solid ? { color: [0.2, 0.3, 0.8] } : {}) };
    if (o.solid) {
      this.file = null;
      delete (this.mainSource as { file?: unknown }).file;
    }
    this.frameRate = o.still ? 0 : (o.fps ?? 24);
    this.width = o.width ?? 1920;
    this.height = o.height ?? 1080;
    this.duration = o.still ? 0 : (o.duration ?? 10);
    this.footageMissing = !!o.missing;
  }
  replaceWithSequence(f: string | FakeFile, forceAlphabetical: boolean): void {
    const p = typeof f === 'string' ? f : f.fsName;
    this.app.log.push(`replaceWithSequence:${p}:${forceAlphabetical}`);
    this.file = f;
    this.mainSource.file = f;
  }
  replace(f: string | FakeFile): void {
    const p = typeof f === 'string' ? f : f.fsName;
    this.app.log.push(`replace:${p}`);
    this.file = f;
    this.mainSource.file = f;
  }
}

export class FakeLayer {
  id = ids++;
  private _name: string;
  inPoint: number;
  outPoint: number;
  private _startTime: number;
  private _stretch = 100;
  timeRemapEnabled = false;
  adjustmentLayer = false;
  width: number;
  height: number;
  selected = false;
  constructor(
    readonly comp: FakeComp,
    public source: FakeFootage | FakeComp | null,
    o: { name: string; inPoint?: number; outPoint?: number; startTime?: number; stretch?: number },
  ) {
    this._name = o.name;
    this._startTime = o.startTime ?? 0;
    this.inPoint = o.inPoint ?? 0;
    this.outPoint = o.outPoint ?? comp.duration;
    if (o.stretch !== undefined) this._stretch = o.stretch;
    this.width = source?.width ?? comp.width;
    this.height = source?.height ?? comp.height;
  }
  get name(): string {
    return this._name;
  }
  set name(v: string) {
    this._name = v;
    this.comp.app.log.push(`layer.name=${v}`);
  }
  get startTime(): number {
    return this._startTime;
  }
  set startTime(v: number) {
    this._startTime = v;
    this.comp.app.log.push(`layer.startTime=${round(v)}`);
  }
  get stretch(): number {
    return this._stretch;
  }
  set stretch(v: number) {
    this._stretch = v;
    this.comp.app.log.push(`layer.stretch=${v}`);
  }
  get index(): number {
    return this.comp.layersArr.indexOf(this) + 1;
  }
  moveBefore(other: FakeLayer): void {
    const arr = this.comp.layersArr;
    arr.splice(arr.indexOf(this), 1);
    arr.splice(arr.indexOf(other), 0, this);
    this.comp.app.log.push(`moveBefore:${other.name}`);
  }
}

const round = (v: number): number => Math.round(v * 1e6) / 1e6;

export class FakeComp {
  id = ids++;
  layersArr: FakeLayer[] = [];
  readonly layers: { length: number; add(item: FakeFootage): FakeLayer };
  constructor(
    readonly app: FakeAeApp,
    public name: string,
    public frameRate = 24,
    public width = 1920,
    public height = 1080,
    public duration = 20,
  ) {
    const self = this;
    this.layers = {
      get length() {
        return self.layersArr.length;
      },
      add(item: FakeFootage): FakeLayer {
        if (!app.undoOpen) throw new Error('layers.add outside an undo group');
        const l = new FakeLayer(self, item, { name: item.name, inPoint: 0, outPoint: item.duration || self.duration, startTime: 0 });
        self.layersArr.unshift(l); // AE adds new layers at the top
        app.log.push(`layers.add:${item.name}`);
        return l;
      },
    };
  }
  get numLayers(): number {
    return this.layersArr.length;
  }
  layer(i: number): FakeLayer {
    const l = this.layersArr[i - 1];
    if (!l) throw new Error(`no layer ${i}`);
    return l;
  }
  get selectedLayers(): FakeLayer[] {
    return this.layersArr.filter((l) => l.selected);
  }
  /** Adds a layer at the bottom of the stack (test setup, not AE API). */
  addLayer(source: FakeFootage | FakeComp | null, o: { name: string; inPoint?: number; outPoint?: number; startTime?: number; stretch?: number; selected?: boolean }): FakeLayer {
    const l = new FakeLayer(this, source, o);
    l.selected = !!o.selected;
    this.layersArr.push(l);
    return l;
  }
}

export interface RenderRecord {
  comp: string;
  timeSpanStart: number;
  timeSpanDuration: number;
  template: string;
  file: string;
}

export class FakeAeApp {
  log: string[] = [];
  undoOpen = false;
  items: (FakeComp | FakeFootage)[] = [];
  renders: RenderRecord[] = [];
  activeItem: FakeComp | null = null;
  templates = ['Lossless', 'PNG Sequence', 'Best Settings'];
  readonly project: Record<string, unknown>;
  constructor(readonly flavour: Flavour) {
    const app = this;
    this.project = {
      get activeItem() {
        return app.activeItem;
      },
      get numItems() {
        return app.items.length;
      },
      item: (i: number) => app.items[i - 1],
      itemByID: (id: number) => app.items.find((x) => x.id === id) ?? null,
      importFile: (opts: { file: string | FakeFile; sequence: boolean }) => {
        if (!app.undoOpen) throw new Error('importFile outside an undo group');
        const p = typeof opts.file === 'string' ? opts.file : opts.file.fsName;
        if (app.flavour === 'uxp' && typeof opts.file !== 'string') throw new Error('UXP ImportOptions.file is a string');
        if (app.flavour === 'extendscript' && typeof opts.file === 'string') throw new Error('ExtendScript ImportOptions.file is a File');
        app.log.push(`importFile:${p}:sequence=${opts.sequence}`);
        const item = new FakeFootage(app, { name: p.split('/').pop()!, path: p, fps: 30, duration: 1, still: !opts.sequence });
        app.items.push(item);
        return item;
      },
      renderQueue: {
        items: {
          add: (comp: FakeComp) => {
            const rec: RenderRecord = { comp: comp.name, timeSpanStart: NaN, timeSpanDuration: NaN, template: '', file: '' };
            const om = {
              templates: app.templates,
              applyTemplate: (t: string) => void (rec.template = t),
              set file(f: string | FakeFile) {
                rec.file = typeof f === 'string' ? f : f.fsName;
              },
            };
            return {
              set timeSpanStart(v: number) {
                rec.timeSpanStart = v;
              },
              set timeSpanDuration(v: number) {
                rec.timeSpanDuration = v;
              },
              outputModule: () => om,
              remove: () => app.log.push('rq.remove'),
              rec,
            };
          },
        },
        render: () => {
          app.log.push('rq.render');
        },
      },
    };
    // render() needs the pending record: keep the last one created
    const items = (this.project.renderQueue as { items: { add: (c: FakeComp) => { rec: RenderRecord } } }).items;
    const add = items.add;
    items.add = (c: FakeComp) => {
      const r = add(c);
      this.renders.push(r.rec);
      return r;
    };
  }
  beginUndoGroup(name: string): void {
    this.undoOpen = true;
    this.log.push(`beginUndoGroup:${name}`);
  }
  endUndoGroup(): void {
    this.undoOpen = false;
    this.log.push('endUndoGroup');
  }
  comp(name: string, fps = 24, duration = 20): FakeComp {
    const c = new FakeComp(this, name, fps, 1920, 1080, duration);
    this.items.push(c);
    return c;
  }
  footage(o: ConstructorParameters<typeof FakeFootage>[1]): FakeFootage {
    const f = new FakeFootage(this, o);
    this.items.push(f);
    return f;
  }
}

/** What `require('aftereffects')` returns in observed builds: {app, …classes}. */
export function uxpModule(app: FakeAeApp): { app: FakeAeApp; ImportOptions: new () => { file: string | null; sequence: boolean } } {
  class ImportOptions {
    file: string | null = null;
    sequence = false;
  }
  return { app, ImportOptions };
}

/** Globals an ExtendScript engine has, for running dreamlayer-ae.jsx in a vm context. */
export function extendScriptGlobals(app: FakeAeApp): Record<string, unknown> {
  class ImportOptions {
    file: FakeFile | null;
    sequence = false;
    constructor(file?: FakeFile) {
      this.file = file ?? null;
    }
  }
  const Folder = (p: string) => new FakeFile(p === '~' ? '/Users/test' : p);
  (Folder as unknown as { userData: FakeFile }).userData = new FakeFile('/Users/test/Library/Application Support');
  return { app, ImportOptions, File: FakeFile, Folder, $: { os: 'Macintosh OS 14.0' } };
}
