/**
 * A fake `premierepro` module following the documented UXP shapes
 * (ppro-reference, @adobe/premierepro types): every getter returns a Promise,
 * TickTime carries `ticks` as a string (254016000000 per second), edits are
 * Actions that only take effect inside project.executeTransaction, and (as
 * since 26.3) actions must be created inside project.lockedAccess.
 */
export const TPS = 254016000000;

export class TickTime {
  constructor(
    readonly ticks: string,
    readonly seconds: number,
  ) {}
  static fromFrames(frames: number, fps: number): TickTime {
    const t = Math.round((frames * TPS) / fps);
    return new TickTime(String(t), t / TPS);
  }
  static fromSeconds(s: number): TickTime {
    return new TickTime(String(Math.round(s * TPS)), s);
  }
  get ticksNumber(): number {
    return Number(this.ticks);
  }
}

const VIDEO = { toString: () => 'video-guid' };
const AUDIO = { toString: () => 'audio-guid' };

export interface Action {
  kind: string;
  createdLocked: boolean;
  apply: () => void;
}

export class FakeClip {
  overrideFps: number | null = null;
  frames = 1;
  constructor(
    readonly env: FakePremiere,
    public name: string,
    private readonly mediaPath: string,
    private readonly opts: { fps?: number; offline?: boolean; nested?: boolean } = {},
  ) {}
  async getMediaFilePath(): Promise<string> {
    return this.opts.nested ? '' : this.mediaPath;
  }
  async isSequence(): Promise<boolean> {
    return !!this.opts.nested;
  }
  async isOffline(): Promise<boolean> {
    return !!this.opts.offline;
  }
  async getFootageInterpretation(): Promise<{ getFrameRate(): number }> {
    return { getFrameRate: () => this.opts.fps ?? 0 };
  }
  createSetOverrideFrameRateAction(fps: number): Action {
    return this.env.action(`overrideFrameRate:${this.name}:${fps}`, () => void (this.overrideFps = fps));
  }
  createSetNameAction(name: string): Action {
    return this.env.action(`setName:${name}`, () => void (this.name = name));
  }
}

export class FakeTrackItem {
  constructor(
    readonly env: FakePremiere,
    public clip: FakeClip,
    public track: number,
    public start: TickTime,
    public end: TickTime,
    public o: { inPoint?: TickTime; outPoint?: TickTime; speed?: number; reversed?: boolean; audio?: boolean; adjustment?: boolean; selected?: boolean; name?: string } = {},
  ) {}
  async getName(): Promise<string> {
    return this.o.name ?? this.clip.name;
  }
  async getProjectItem(): Promise<FakeClip> {
    return this.clip;
  }
  async getMediaType(): Promise<unknown> {
    return this.o.audio ? AUDIO : VIDEO;
  }
  async getTrackIndex(): Promise<number> {
    return this.track;
  }
  async getStartTime(): Promise<TickTime> {
    return this.start;
  }
  async getEndTime(): Promise<TickTime> {
    return this.end;
  }
  async getInPoint(): Promise<TickTime> {
    return this.o.inPoint ?? new TickTime('0', 0);
  }
  async getOutPoint(): Promise<TickTime> {
    return this.o.outPoint ?? new TickTime(String(this.end.ticksNumber - this.start.ticksNumber), this.end.seconds - this.start.seconds);
  }
  async getSpeed(): Promise<number> {
    return this.o.speed ?? 1;
  }
  async isSpeedReversed(): Promise<number> {
    return this.o.reversed ? 1 : 0;
  }
  async isAdjustmentLayer(): Promise<boolean> {
    return !!this.o.adjustment;
  }
  createSetEndAction(t: TickTime): Action {
    return this.env.action(`setEnd:${this.clip.name}:${t.ticks}`, () => void (this.end = t));
  }
}

export class FakePremiere {
  log: string[] = [];
  locked = false;
  inTransaction = false;
  tracks: FakeTrackItem[][] = [[], []];
  rootItems: FakeClip[] = [];
  seqFps = 25;
  stillSeconds = 5;
  importResult = true;
  readonly seq;
  readonly project;
  readonly module;

  constructor() {
    const env = this;
    this.seq = {
      guid: { toString: () => 'seq-1' },
      name: 'Edit',
      getSelection: async () => ({ getTrackItems: async () => env.tracks.flat().filter((t) => t.o.selected) }),
      getSettings: async () => ({ getVideoFrameRate: () => ({ value: env.seqFps }) }),
      getFrameSize: async () => ({ width: 1920, height: 1080 }),
      getVideoTrackCount: async () => env.tracks.length,
      getVideoTrack: async (i: number) => ({ getTrackItems: async (type: number, includeEmpty: boolean) => (type === 1 && !includeEmpty ? [...env.tracks[i]!] : []) }),
    };
    this.project = {
      getActiveSequence: async () => env.seq,
      getRootItem: async () => ({ getItems: async () => [...env.rootItems] }),
      importFiles: async (paths: string[], suppressUI: boolean, bin: unknown, asNumberedStills: boolean) => {
        env.log.push(`importFiles:${paths.join(',')}:suppressUI=${suppressUI}:bin=${bin ? 'root' : 'none'}:numberedStills=${asNumberedStills}`);
        if (!env.importResult) return false;
        for (const p of paths) env.rootItems.push(new FakeClip(env, p.split('/').pop()!, p, { fps: asNumberedStills ? 30 : 0 }));
        return true;
      },
      lockedAccess: (cb: () => void) => {
        env.locked = true;
        try {
          cb();
        } finally {
          env.locked = false;
        }
      },
      executeTransaction: (cb: (c: { addAction(a: Action): boolean }) => void, undo: string) => {
        if (!env.locked) throw new Error('executeTransaction outside lockedAccess');
        const actions: Action[] = [];
        env.inTransaction = true;
        cb({ addAction: (a) => (actions.push(a), true) });
        env.inTransaction = false;
        env.log.push(`transaction:${undo}`);
        for (const a of actions) {
          if (!a.createdLocked) throw new Error(`action ${a.kind} was created outside lockedAccess`);
          env.log.push(`  ${a.kind}`);
          a.apply();
        }
        return true;
      },
    };
    this.module = {
      Project: { getActiveProject: async () => env.project },
      ClipProjectItem: { cast: (x: unknown) => (x instanceof FakeClip ? x : null) },
      FolderItem: { cast: () => null },
      Constants: { MediaType: { VIDEO, AUDIO }, TrackItemType: { CLIP: 1 } },
      Metadata: { getProjectColumnsMetadata: async () => JSON.stringify([{ ColumnName: 'Video Info', ColumnValue: '854 x 480 (1.0)' }]) },
      SequenceEditor: {
        getEditor: () => ({
          createOverwriteItemAction: (item: FakeClip, time: TickTime, v: number, a: number) => env.action(`overwrite:${item.name}@${time.ticks}:V${v}:A${a}`, () => env.place(item, time, v, false)),
          createInsertProjectItemAction: (item: FakeClip, time: TickTime, v: number, a: number, limitShift: boolean) =>
            env.action(`insert:${item.name}@${time.ticks}:V${v}:A${a}:limitShift=${limitShift}`, () => env.place(item, time, v, true)),
        }),
      },
    };
  }

  action(kind: string, apply: () => void): Action {
    return { kind, createdLocked: this.locked, apply };
  }

  /** Overwrite/insert: a track index past the last creates a track (documented for insert). */
  place(clip: FakeClip, time: TickTime, v: number, insert: boolean): void {
    if (v >= this.tracks.length) {
      if (!insert) throw new Error('overwrite onto a missing track');
      this.tracks.push([]);
    }
    const fps = clip.overrideFps ?? (clip.frames > 1 ? 30 : 0);
    const seconds = fps > 0 ? clip.frames / fps : this.stillSeconds;
    const end = TickTime.fromSeconds(time.seconds + seconds);
    const s0 = time.ticksNumber;
    const e0 = end.ticksNumber;
    this.tracks[v] = this.tracks[v]!.filter((t) => t.end.ticksNumber <= s0 || t.start.ticksNumber >= e0); // overwrite
    this.tracks[v]!.push(new FakeTrackItem(this, clip, v, time, end));
  }

  /** Test setup: a clip on a track. */
  addItem(track: number, clip: FakeClip, startFrame: number, endFrame: number, o: FakeTrackItem['o'] = {}): FakeTrackItem {
    while (this.tracks.length <= track) this.tracks.push([]);
    const ti = new FakeTrackItem(this, clip, track, TickTime.fromFrames(startFrame, this.seqFps), TickTime.fromFrames(endFrame, this.seqFps), o);
    this.tracks[track]!.push(ti);
    return ti;
  }

  clip(name: string, path: string, o: ConstructorParameters<typeof FakeClip>[3] = {}): FakeClip {
    return new FakeClip(this, name, path, o);
  }
}
