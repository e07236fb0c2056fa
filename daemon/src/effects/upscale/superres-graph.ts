/**
 * What the tiler needs to know about a super-resolution graph, read from the
 * ONNX file itself: how far a pixel's value reaches (receptive radius, which
 * sets the tile context for seamless tiles) and the widest feature map (which
 * sets the working memory per pixel, hence the tile size for a budget).
 */
import type { ModelProto } from '../../onnx/proto.ts';
import { attrInts, topoSortNodes } from '../../onnx/graph-index.ts';
import { tensorDims } from '../../onnx/tensor-data.ts';

export interface SuperResGraphStats {
  /** Receptive radius in pixels of the network's input: an output pixel depends on inputs at most this far away. */
  receptiveRadius: number;
  /** Widest feature map (channels) of any convolution. */
  maxChannels: number;
  /** Number of spatial operators (convolutions, pools) counted. */
  spatialOps: number;
}

const SPATIAL = new Set(['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'LpPool']);

/**
 * Reads receptive radius and width from the graph. The radius is an upper bound:
 * each spatial operator adds dilation·(kernel−1)/2 (times the stride so far), summed
 * over all of them in order, as if the network were one chain (branches only make
 * the true radius smaller). Operators after an upsampling are counted in input
 * pixels too, which again overestimates — safe for tiling.
 */
export function superResGraphStats(model: ModelProto): SuperResGraphStats {
  const graph = model.graph!;
  const dims = new Map<string, number[]>();
  for (const t of graph.initializer ?? []) if (t.name) dims.set(t.name, tensorDims(t));
  let radius = 0;
  let stride = 1;
  let maxChannels = 3;
  let spatialOps = 0;
  for (const node of topoSortNodes(graph)) {
    if (!SPATIAL.has(node.opType ?? '')) continue;
    spatialOps++;
    const w = node.opType === 'Conv' || node.opType === 'ConvTranspose' ? dims.get(node.input?.[1] ?? '') : undefined;
    const kernel = attrInts(node, 'kernel_shape') ?? (w ? w.slice(2) : [1, 1]);
    const dil = attrInts(node, 'dilations') ?? kernel.map(() => 1);
    const strides = attrInts(node, 'strides') ?? kernel.map(() => 1);
    const reach = Math.max(0, ...kernel.map((k, i) => ((dil[i] ?? 1) * (k - 1)) / 2));
    radius += reach * stride;
    if (node.opType !== 'ConvTranspose') stride *= Math.max(1, ...strides);
    if (w && w.length >= 2) maxChannels = Math.max(maxChannels, w[0], w[1]);
  }
  return { receptiveRadius: Math.ceil(radius), maxChannels, spatialOps };
}
