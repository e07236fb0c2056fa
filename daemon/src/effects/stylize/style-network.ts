/**
 * Pre/post-processing of Johnson-style fast-neural-style networks: RGB px 0–255
 * in NCHW, height and width padded to a multiple of 4 (edge-replicated, so the
 * border is not darkened), output clamped to 0–255 and cropped back.
 */
import type { Image8 } from '../../core/image.ts';
import type { ModelSession } from '../../runtime/model-session.ts';

const MULTIPLE = 4;

/** Pads a planar image on the right/bottom by replicating the last row/column. */
export function padPlanes(src: Float32Array, c: number, h: number, w: number, ph: number, pw: number): Float32Array {
  if (ph === h && pw === w) return src;
  const out = new Float32Array(c * ph * pw);
  for (let k = 0; k < c; k++) {
    for (let y = 0; y < ph; y++) {
      const sy = Math.min(y, h - 1);
      const srow = k * h * w + sy * w;
      const drow = k * ph * pw + y * pw;
      out.set(src.subarray(srow, srow + w), drow);
      const last = src[srow + w - 1];
      for (let x = w; x < pw; x++) out[drow + x] = last;
    }
  }
  return out;
}

/** Runs the style network on an 8-bit RGB image; returns planar float px (unclamped) at the input size. */
export async function runStyleNetwork(session: ModelSession, img: Image8): Promise<Float32Array> {
  const { width: w, height: h } = img;
  const n = w * h;
  const chw = new Float32Array(3 * n);
  const src = img.data;
  const ch = img.channels;
  for (let i = 0, j = 0; i < n; i++, j += ch) {
    chw[i] = src[j];
    chw[n + i] = src[j + 1];
    chw[2 * n + i] = src[j + 2];
  }
  const ph = Math.ceil(h / MULTIPLE) * MULTIPLE;
  const pw = Math.ceil(w / MULTIPLE) * MULTIPLE;
  const input = padPlanes(chw, 3, h, w, ph, pw);
  const name = session.inputs[0].name;
  const out = await session.run({ [name]: { data: input, dims: [1, 3, ph, pw] } });
  const y = out[session.outputs[0].name];
  const [, oc, oh, ow] = y.dims;
  const data = y.data as Float32Array;
  if (oc !== 3 || oh < h || ow < w) {
    const { DreamLayerError } = await import('../../../../shared/src/errors.ts');
    throw new DreamLayerError('MODEL_CONTRACT', { stage: 'infer', message: `Style model ${session.label} returned [${y.dims.join(',')}] for a [1,3,${ph},${pw}] input; a style network must return an RGB image of the same size.` });
  }
  if (oh === h && ow === w) return data;
  const crop = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) for (let yy = 0; yy < h; yy++) crop.set(data.subarray(c * oh * ow + yy * ow, c * oh * ow + yy * ow + w), c * n + yy * w);
  return crop;
}

/** Planar px (any range) → interleaved 8-bit RGB, mixed with the source by `strength`. */
export function stylizedToImage(planes: Float32Array, source: Image8, strength: number): Image8 {
  const { width, height } = source;
  const n = width * height;
  const out = new Uint8Array(3 * n);
  const src = source.data;
  const ch = source.channels;
  const s = Math.max(0, Math.min(1, strength));
  for (let i = 0, j = 0, k = 0; i < n; i++, j += ch, k += 3) {
    for (let c = 0; c < 3; c++) {
      let v = planes[c * n + i];
      v = v < 0 ? 0 : v > 255 ? 255 : v;
      const m = s * v + (1 - s) * src[j + c] + 0.5;
      out[k + c] = m >= 255 ? 255 : m;
    }
  }
  return { width, height, channels: 3, data: out };
}
