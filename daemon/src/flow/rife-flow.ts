/**
 * Optical flow from an ONNX network. The contract (the catalog's `flow` task):
 *   - two image inputs [1, 3, H, W], RGB 0..1 (named img0/img1, else the first two inputs);
 *   - optionally a third input (e.g. RIFE's `timestep` [1, 1, H, W]), filled with 0;
 *   - one float output [1, 2, H, W] holding the flow img0→img1 in pixels, backward-warping form
 *     (img0(x) ≈ img1(x + w(x))), or [1, 4, H, W] laid out as RIFE's: channels 0–1 = flow t→img0,
 *     channels 2–3 = flow t→img1, which at t = 0 is the flow img0→img1.
 * H and W must be multiples of `multiple` (32 for RIFE): frames are padded by edge replication and
 * the flow cropped back. Frames can be processed at a reduced size (`maxSide`); the flow is then
 * resized to the frame size with its vectors scaled.
 */
import type { FloatImage } from '../core/image.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { Device } from '../runtime/providers.ts';
import { getSession } from '../runtime/session-cache.ts';
import type { ModelSession } from '../runtime/model-session.ts';
import { resizeFlow } from './resize-flow.ts';
import type { FlowEstimator, FlowField } from './types.ts';

export interface OnnxFlowOptions {
  /** Name for logs and records (default: the file name). */
  name?: string;
  /** Name of the flow output; default: the first output with 2 or 4 channels. */
  flowOutput?: string;
  /** Required multiple of H and W (default 32). */
  multiple?: number;
  /** Process at most this many pixels on the longer side (default: full size). */
  maxSide?: number;
  device?: Device;
  /** Intra-op threads (default: the runtime's choice). */
  threads?: number;
}

/** The one place that opens sessions for flow models, so the session source can change in one spot. */
export function openFlowSession(file: string, opts: { device?: Device; threads?: number } = {}): Promise<ModelSession> {
  return getSession(file, { device: opts.device ?? 'auto', threads: opts.threads });
}

/** Planar RGB [3, Hp, Wp] of `img` (w×h, any channel count) resampled to w2×h2 and padded by edge replication. */
function toPaddedChw(img: FloatImage, w2: number, h2: number, Wp: number, Hp: number): Float32Array {
  const { width: w, height: h, channels: ch, data } = img;
  const plane = Wp * Hp;
  const out = new Float32Array(3 * plane);
  const sx = w / w2, sy = h / h2;
  const same = w === w2 && h === h2;
  for (let Y = 0; Y < Hp; Y++) {
    const yy = Math.min(Y, h2 - 1);
    let fy = same ? yy : (yy + 0.5) * sy - 0.5;
    fy = fy < 0 ? 0 : fy > h - 1 ? h - 1 : fy;
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, h - 1), ay = fy - y0;
    for (let X = 0; X < Wp; X++) {
      const xx = Math.min(X, w2 - 1);
      let fx = same ? xx : (xx + 0.5) * sx - 0.5;
      fx = fx < 0 ? 0 : fx > w - 1 ? w - 1 : fx;
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, w - 1), ax = fx - x0;
      const o = Y * Wp + X;
      for (let c = 0; c < 3; c++) {
        const cc = ch >= 3 ? c : 0;
        const a = data[(y0 * w + x0) * ch + cc], b = data[(y0 * w + x1) * ch + cc];
        const d = data[(y1 * w + x0) * ch + cc], e = data[(y1 * w + x1) * ch + cc];
        const top = a + ax * (b - a), bot = d + ax * (e - d);
        out[c * plane + o] = top + ay * (bot - top);
      }
    }
  }
  return out;
}

/** Flow estimator around a user's ONNX flow model (see the module comment for the contract). */
export class OnnxFlowEstimator implements FlowEstimator {
  readonly name: string;
  private session: Promise<ModelSession> | null = null;

  constructor(readonly file: string, private readonly opts: OnnxFlowOptions = {}) {
    this.name = opts.name ?? `onnx:${file.split(/[\\/]/).pop()}`;
  }

  private getSession(): Promise<ModelSession> {
    this.session ??= openFlowSession(this.file, this.opts);
    return this.session;
  }

  async estimate(a: FloatImage, b: FloatImage, signal?: AbortSignal): Promise<FlowField> {
    if (a.width !== b.width || a.height !== b.height) {
      throw new DreamLayerError('PARAM_INVALID', { message: `Optical flow needs two frames of the same size; got ${a.width}x${a.height} and ${b.width}x${b.height}.` });
    }
    signal?.throwIfAborted();
    const session = await this.getSession();
    const { width: w, height: h } = a;
    const scale = this.opts.maxSide && Math.max(w, h) > this.opts.maxSide ? this.opts.maxSide / Math.max(w, h) : 1;
    const w2 = Math.max(1, Math.round(w * scale)), h2 = Math.max(1, Math.round(h * scale));
    const m = this.opts.multiple ?? 32;
    const Wp = Math.ceil(w2 / m) * m, Hp = Math.ceil(h2 / m) * m;

    const names = session.inputs.map((i) => i.name);
    const name0 = names.includes('img0') ? 'img0' : names[0];
    const name1 = names.includes('img1') ? 'img1' : names.find((n) => n !== name0)!;
    const feeds: Parameters<ModelSession['run']>[0] = {
      [name0]: { data: toPaddedChw(a, w2, h2, Wp, Hp), dims: [1, 3, Hp, Wp] },
      [name1]: { data: toPaddedChw(b, w2, h2, Wp, Hp), dims: [1, 3, Hp, Wp] },
    };
    for (const extra of names.filter((n) => n !== name0 && n !== name1)) {
      feeds[extra] = { data: new Float32Array(Hp * Wp), dims: [1, 1, Hp, Wp] }; // timestep t = 0
    }
    const outputs = await session.run(feeds, this.opts.flowOutput ? [this.opts.flowOutput] : undefined);
    signal?.throwIfAborted();
    const pick = this.opts.flowOutput
      ? outputs[this.opts.flowOutput]
      : Object.values(outputs).find((o) => o.dims.length === 4 && (o.dims[1] === 2 || o.dims[1] === 4) && o.dims[2] === Hp && o.dims[3] === Wp);
    if (!pick || pick.dims.length !== 4 || (pick.dims[1] !== 2 && pick.dims[1] !== 4) || pick.dims[2] !== Hp || pick.dims[3] !== Wp) {
      throw new DreamLayerError('MODEL_CONTRACT', {
        stage: 'infer',
        message: `Flow model ${this.file} gave no [1, 2 or 4, ${Hp}, ${Wp}] output (got ${Object.entries(outputs).map(([k, o]) => `${k} [${o.dims.join(',')}]`).join(', ')}).`,
        hint: 'Use a flow model whose output is the flow img0→img1 as [1,2,H,W] (or RIFE-style [1,4,H,W]).',
      });
    }
    const data = pick.data as Float32Array;
    const plane = Hp * Wp;
    const base = pick.dims[1] === 4 ? 2 * plane : 0;
    const flow: FlowField = { width: w2, height: h2, u: new Float32Array(w2 * h2), v: new Float32Array(w2 * h2) };
    for (let y = 0; y < h2; y++) {
      flow.u.set(data.subarray(base + y * Wp, base + y * Wp + w2), y * w2);
      flow.v.set(data.subarray(base + plane + y * Wp, base + plane + y * Wp + w2), y * w2);
    }
    return w2 === w && h2 === h ? flow : resizeFlow(flow, w, h);
  }
}

/** The catalog id of the RIFE model used by `--flow rife`. */
export const RIFE_MODEL_ID = 'rife-v4.6';

/** RIFE v4.6 IFNet as a flow estimator (flow = output "327", channels 2–3, at timestep 0). */
export class RifeFlowEstimator extends OnnxFlowEstimator {
  constructor(file: string, opts: Omit<OnnxFlowOptions, 'flowOutput' | 'multiple'> = {}) {
    super(file, { name: opts.maxSide ? `rife-v4.6@${opts.maxSide}` : 'rife-v4.6', ...opts, flowOutput: '327', multiple: 32 });
  }
}
