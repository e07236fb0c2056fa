/** Loading the shared Sintel pairs and their ground truth (masks: valid = not invalid; noc = also not occluded). */
import { toFloat, type FloatImage } from '../../../daemon/src/core/image.ts';
import { readFlo } from '../../../daemon/src/flow/flo-file.ts';
import type { FlowField } from '../../../daemon/src/flow/types.ts';
import { readImage } from '../../../daemon/src/io/image-file.ts';
import { sharedData } from '../../helpers/shared-path.ts';

export interface SintelPair {
  a: FloatImage;
  b: FloatImage;
  gt: FlowField;
  valid: Uint8Array;
  noc: Uint8Array;
}

export async function loadSintel(seq: 'alley_1' | 'market_5', pass: 'clean' | 'final'): Promise<SintelPair> {
  const base = `flow/sintel_${seq}`;
  const [a, b, gt, inv, occ] = await Promise.all([
    readImage(sharedData(`${base}/${pass}/frame_0002.png`)),
    readImage(sharedData(`${base}/${pass}/frame_0003.png`)),
    readFlo(sharedData(`${base}/gt/frame_0002.flo`)),
    readImage(sharedData(`${base}/gt/invalid/frame_0002.png`), { channels: 1 }),
    readImage(sharedData(`${base}/gt/occlusions/frame_0002.png`), { channels: 1 }),
  ]);
  const n = gt.width * gt.height;
  const valid = new Uint8Array(n), noc = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    valid[i] = inv.data[i] ? 0 : 1;
    noc[i] = !inv.data[i] && !occ.data[i] ? 1 : 0;
  }
  return { a: toFloat(a), b: toFloat(b), gt, valid, noc };
}
