/**
 * Fixed-size models (e.g. depth at 192×320): the frame is resized to the
 * model's input, and every spatial output is resized back to the frame size.
 */
import type { ModelSession, Outputs } from './model-session.ts';
import { resizePlanes, type ResizeFilter } from './resize.ts';

/** The fixed [height, width] of an NCHW (or NHWC) image input, or null when either is free. */
export function fixedInputSize(session: ModelSession, inputName = session.inputs[0].name, layout: 'NCHW' | 'NHWC' = 'NCHW'): [number, number] | null {
  const meta = session.inputs.find((i) => i.name === inputName);
  if (!meta || meta.shape.length !== 4) return null;
  const [h, w] = layout === 'NCHW' ? [meta.shape[2], meta.shape[3]] : [meta.shape[1], meta.shape[2]];
  return typeof h === 'number' && h > 0 && typeof w === 'number' && w > 0 ? [h, w] : null;
}

/**
 * Runs an NCHW model on planar `chw` (channels×h×w) at its fixed input size
 * (or at the frame size when its dims are free) and returns the outputs
 * resized back to h×w (outputs of rank 4 only; others unchanged).
 */
export async function runResized(session: ModelSession, chw: Float32Array, channels: number, h: number, w: number, opts: { inputName?: string; filterIn?: ResizeFilter; filterOut?: ResizeFilter } = {}): Promise<Outputs> {
  const name = opts.inputName ?? session.inputs[0].name;
  const size = fixedInputSize(session, name) ?? [h, w];
  const [mh, mw] = size;
  const input = resizePlanes(chw, channels, h, w, mh, mw, opts.filterIn ?? 'bilinear');
  const out = await session.run({ [name]: { data: input, dims: [1, channels, mh, mw] } });
  const back: Outputs = {};
  for (const [k, t] of Object.entries(out)) {
    if (t.dims.length === 4 && t.data instanceof Float32Array && (t.dims[2] !== h || t.dims[3] !== w)) {
      const [n, c, oh, ow] = t.dims;
      back[k] = { data: resizePlanes(t.data, n * c, oh, ow, h, w, opts.filterOut ?? 'bilinear'), dims: [n, c, h, w] };
    } else back[k] = t;
  }
  return back;
}
