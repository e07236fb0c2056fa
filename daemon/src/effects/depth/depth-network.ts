/**
 * Runs a depth network on one frame, generically from its contract: resize to the network's
 * size (fixed models are fed the whole frame stretched; models that take any size get the
 * frame at its aspect ratio, longer side ≈ the inference size, rounded to the required
 * multiple), scale to the value range, subtract mean / divide by std, reorder colour and layout,
 * run, and return the raw depth plane on the network's output grid.
 */
import type { Image8 } from '../../core/image.ts';
import { resizeRgb8ToPlanes } from './rgb-resize.ts';
import type { ModelSession } from '../../runtime/model-session.ts';
import { DEFAULT_DYNAMIC_SIZE, depthPlaneOf, type DepthContract } from './depth-contract.ts';

/** A raw depth map (relative inverse depth, larger = nearer), row-major. */
export interface DepthPlane {
  width: number;
  height: number;
  data: Float32Array;
}

/** The network input size for a frame: the contract's fixed size, or the frame scaled to `inferenceSize` (longer side) on the multiple grid. */
export function networkInputSize(contract: DepthContract, frameWidth: number, frameHeight: number, inferenceSize = 0): { width: number; height: number } {
  if (contract.size !== 'dynamic') return { width: contract.size[1], height: contract.size[0] };
  const m = Math.max(1, contract.multipleOf);
  const long = inferenceSize > 0 ? inferenceSize : DEFAULT_DYNAMIC_SIZE;
  const s = long / Math.max(frameWidth, frameHeight);
  const round = (v: number) => Math.max(m, Math.round(v / m) * m);
  return { width: round(frameWidth * s), height: round(frameHeight * s) };
}

/** Per-channel affine px → network value (in the network's colour order): v = px·scale + offset. */
export function channelAffine(contract: DepthContract): { scale: number[]; offset: number[] } {
  const [lo, hi] = contract.range === 'px' ? [0, 255] : contract.range;
  const k = (hi - lo) / 255;
  const scale: number[] = [];
  const offset: number[] = [];
  for (let c = 0; c < 3; c++) {
    const mean = contract.mean?.[c] ?? 0;
    const std = contract.std?.[c] ?? 1;
    scale.push(k / std);
    offset.push((lo - mean) / std);
  }
  return { scale, offset };
}

/** The input tensor for a frame: data and dims in the contract's layout. */
export function prepareDepthInput(img: Image8, contract: DepthContract, size: { width: number; height: number }): { data: Float32Array; dims: number[] } {
  return planesToDepthInput(resizeRgb8ToPlanes(img.data, img.width, img.height, img.channels, size.width, size.height), contract, size);
}

/** The input tensor from the frame already resized to `size` as three RGB planes of 0..255 (reused when possible). */
export function planesToDepthInput(planes: Float32Array, contract: DepthContract, size: { width: number; height: number }): { data: Float32Array; dims: number[] } {
  const { width: nw, height: nh } = size;
  const n = nw * nh;
  const { scale, offset } = channelAffine(contract);
  const dims = contract.layout === 'NHWC' ? [1, nh, nw, 3] : contract.layout === 'CHW' ? [3, nh, nw] : [1, 3, nh, nw];
  if (contract.layout !== 'NHWC' && contract.colour !== 'BGR') {
    // Planar RGB already: scale in place (nothing at all for networks fed 0–255 pixels, like TCMonoDepth).
    for (let c = 0; c < 3; c++) {
      const s = scale[c];
      const o = offset[c];
      if (s === 1 && o === 0) continue;
      for (let i = c * n, end = i + n; i < end; i++) planes[i] = planes[i] * s + o;
    }
    return { data: planes, dims };
  }
  const out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    const srcPlane = (contract.colour === 'BGR' ? 2 - c : c) * n;
    const s = scale[c];
    const o = offset[c];
    if (contract.layout === 'NHWC') {
      for (let i = 0, j = c; i < n; i++, j += 3) out[j] = planes[srcPlane + i] * s + o;
    } else {
      const dst = c * n;
      for (let i = 0; i < n; i++) out[dst + i] = planes[srcPlane + i] * s + o;
    }
  }
  return { data: out, dims };
}

/** Runs the network on a frame and returns its raw depth on the output grid. */
export async function runDepthNetwork(session: ModelSession, contract: DepthContract, img: Image8, inferenceSize = 0): Promise<DepthPlane> {
  const size = networkInputSize(contract, img.width, img.height, inferenceSize);
  return runPreparedDepthInput(session, contract, prepareDepthInput(img, contract, size));
}

/** Runs the network on an input tensor from {@link prepareDepthInput} / {@link planesToDepthInput}. */
export async function runPreparedDepthInput(session: ModelSession, contract: DepthContract, input: { data: Float32Array; dims: number[] }): Promise<DepthPlane> {
  const out = await session.run({ [contract.input]: input }, [contract.output]);
  const t = out[contract.output] ?? Object.values(out)[0];
  return depthPlaneOf(session.label, t);
}
