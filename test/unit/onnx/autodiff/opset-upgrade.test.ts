import { describe, expect, it } from 'vitest';
import { ort } from '../../../../daemon/src/runtime/ort.ts';
import { modelOpset, upgradeOpset } from '../../../../daemon/src/onnx/autodiff/opset-upgrade.ts';
import { GraphBuilder } from '../../../../daemon/src/onnx/graph-builder.ts';
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { session } from './grad-check.ts';

describe('upgradeOpset', () => {
  it('rewrites opset-10 Clip/Pad/Split/Squeeze/Unsqueeze/Dropout so the opset-16 model computes the same', async () => {
    const g = new GraphBuilder('old', { opset: 10 });
    const x = g.input('x', 'float32', [1, 4, 3, 5]);
    const c = g.node('Clip', [x], { min: -0.5, max: 0.8 });
    const p = g.node('Pad', [c], { pads: [0, 0, 1, 2, 0, 0, 2, 1], mode: 'reflect' });
    const [a, b] = g.nodeN('Split', [p], 2, { axis: 1, split: [1, 3] });
    const sq = g.node('Unsqueeze', [g.node('Squeeze', [a!], { axes: [1] })], { axes: [1] });
    const d = g.node('Dropout', [b!], { ratio: 0.4 });
    g.output(g.node('Add', [d, sq]), 'y');
    const old = g.build();
    const up = upgradeOpset(old, 16);
    expect(modelOpset(up)).toBe(16);
    expect(up.graph!.node!.map((n) => n.opType)).toEqual(['Clip', 'Pad', 'Split', 'Squeeze', 'Unsqueeze', 'Identity', 'Add']);
    expect(up.graph!.node!.every((n) => !(n.attribute ?? []).some((at) => ['min', 'max', 'pads', 'split', 'axes', 'ratio'].includes(at.name!)))).toBe(true);
    const xs = Float32Array.from({ length: 60 }, (_, i) => Math.sin(i * 0.9));
    const feed = { x: new ort.Tensor('float32', xs, [1, 4, 3, 5]) };
    const [r0, r1] = [await (await session(old)).run(feed), await (await session(up)).run(feed)];
    expect(r1.y!.dims).toEqual(r0.y!.dims);
    expect(Array.from(r1.y!.data as Float32Array)).toEqual(Array.from(r0.y!.data as Float32Array));
    // the source is untouched and a model already at the target comes back as is
    expect(modelOpset(old)).toBe(10);
    expect(upgradeOpset(up, 13)).toBe(up);
  });

  it('refuses legacy axis broadcasting and Upsample', () => {
    const g = new GraphBuilder('legacy', { opset: 6 });
    const x = g.input('x', 'float32', [1, 3, 4, 4]);
    g.output(g.node('Add', [x, g.constant([1, 2, 3])], { broadcast: 1, axis: 1 }, { name: 'bias_add' }), 'y');
    expect(() => upgradeOpset(g.build(), 13)).toThrow(DreamLayerError);
    expect(() => upgradeOpset(g.build(), 13)).toThrow(/Add node "bias_add"/);
    const u = new GraphBuilder('up', { opset: 9 });
    const ux = u.input('x', 'float32', [1, 3, 4, 4]);
    u.output(u.node('Upsample', [ux, u.constant([1, 1, 2, 2])], { mode: 'nearest' }), 'y');
    expect(() => upgradeOpset(u.build(), 13)).toThrow(/Upsample/);
  });
});
