import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkContract } from '../../../daemon/src/models/check-contract.ts';
import { GraphBuilder, type Dim } from '../../../daemon/src/onnx/graph-builder.ts';
import type { ElemType } from '../../../daemon/src/onnx/tensor-data.ts';
import { depthModelBytes, entry, styleModelBytes, tempDir } from './fixtures.ts';

const tmp = tempDir('dl-contract-');
afterAll(() => tmp.cleanup());
let n = 0;
const save = (bytes: Uint8Array | string, name = `m${n++}.onnx`) => {
  const f = path.join(tmp.dir, name);
  writeFileSync(f, bytes);
  return f;
};

/** A graph whose inputs/outputs are declared as given (Identity/Cast wiring; never run). */
function declared(inputs: [string, ElemType, Dim[]][], outputs: [string, ElemType, Dim[]][]): Uint8Array {
  const g = new GraphBuilder('declared', { opset: 13 });
  const ins = inputs.map(([name, t, s]) => g.input(name, t, s));
  for (const [i, [name, t, s]] of outputs.entries()) {
    const y = g.node('Identity', [ins[i % ins.length]]);
    g.output(y, name, t, s);
  }
  return g.encode();
}

const expectContract = (fn: () => unknown, re: RegExp) => {
  try {
    fn();
  } catch (e) {
    expect((e as { code: string }).code).toBe('MODEL_CONTRACT');
    expect((e as Error).message).toMatch(re);
    return;
  }
  throw new Error('expected MODEL_CONTRACT');
};

describe('checkContract', () => {
  it('accepts a style model and reports its layout', () => {
    expect(checkContract(save(styleModelBytes()), 'style').layout).toBe('NCHW');
    const nhwc = declared([['x', 'float32', [1, 'H', 'W', 3]]], [['y', 'float32', [1, 'H', 'W', 3]]]);
    expect(checkContract(save(nhwc), 'style').layout).toBe('NHWC');
  });

  it('names the output, the expected and the found channels for a wrong style output', () => {
    expectContract(() => checkContract(save(styleModelBytes({ outChannels: 8 })), 'style'), /output "output1" has shape \[1, 8, H, W\], expected rank 4 with 3 channels/);
  });

  it('names the input and its rank / type when they do not fit', () => {
    expectContract(() => checkContract(save(declared([['x', 'float32', [1, 224]]], [['y', 'float32', [1, 3, 8, 8]]])), 'style'), /input "x" has rank 2 \[1, 224\], expected rank 4/);
    expectContract(() => checkContract(save(declared([['x', 'uint8', [1, 3, 'H', 'W']]], [['y', 'float32', [1, 3, 'H', 'W']]])), 'style'), /input "x" is uint8, expected float32/);
    expectContract(() => checkContract(save(declared([['x', 'float32', [1, 1, 'H', 'W']]], [['y', 'float32', [1, 3, 'H', 'W']]])), 'superres'), /expected 3 colour channels/);
    expectContract(
      () => checkContract(save(declared([['a', 'float32', [1, 3, 'H', 'W']], ['b', 'float32', [1, 3, 'H', 'W']]], [['y', 'float32', [1, 3, 'H', 'W']]])), 'style'),
      /it has 2 inputs \("a", "b"\), expected 1/,
    );
  });

  it('checks the per-task outputs (depth, classifier, semantic, instance, flow)', () => {
    expect(checkContract(save(depthModelBytes()), 'depth').layout).toBe('NCHW');
    expectContract(() => checkContract(save(styleModelBytes()), 'depth'), /output "output1".*expected rank 4 with 1 channel/);
    expectContract(() => checkContract(save(styleModelBytes()), 'classifier'), /expected class scores \[N, K\]/);
    const img: [string, ElemType, Dim[]] = ['image', 'float32', [1, 3, 'H', 'W']];
    expect(() => checkContract(save(declared([img], [['ids', 'int64', [1, 'H', 'W']]])), 'segmentation-semantic')).not.toThrow();
    expectContract(() => checkContract(save(declared([img], [['ids', 'int64', ['n']]])), 'segmentation-semantic'), /class-id map/);

    const inst = declared(
      [['image', 'float32', [3, 'H', 'W']]],
      [
        ['boxes', 'float32', ['n', 4]],
        ['labels', 'int64', ['n']],
        ['scores', 'float32', ['n']],
        ['masks', 'float32', ['n', 1, 28, 28]],
      ],
    );
    expect(checkContract(save(inst), 'segmentation-instance').layout).toBe('CHW');
    const noMasks = declared([['image', 'float32', [3, 'H', 'W']]], [['boxes', 'float32', ['n', 4]], ['labels', 'int64', ['n']], ['scores', 'float32', ['n']], ['extra', 'float32', ['n']]]);
    expectContract(() => checkContract(save(noMasks), 'segmentation-instance'), /masks float32 \[n, 1, h, w\]/);

    const flow = declared([img, ['img1', 'float32', [1, 3, 'H', 'W']], ['t', 'float32', [1, 1, 'H', 'W']]], [['flow', 'float32', [1, 4, 'H', 'W']]]);
    expect(() => checkContract(save(flow), 'flow')).not.toThrow();
    expectContract(() => checkContract(save(depthModelBytes()), 'flow'), /it has 1 inputs/);
  });

  it('checks the tensor names a catalog entry promises', () => {
    const f = save(styleModelBytes({ inName: 'content' }));
    expect(() => checkContract(f, 'style')).not.toThrow();
    expectContract(() => checkContract(f, 'style', entry({ id: 'x' })), /expects input "input1", the graph has inputs "content"/);
  });

  it('throws MODEL_INVALID for a truncated .onnx and for a text file', () => {
    const whole = styleModelBytes({ extraFloats: 5000 });
    const truncated = save(whole.subarray(0, Math.floor(whole.length * 0.6)));
    expect(() => checkContract(truncated, 'style')).toThrow(expect.objectContaining({ code: 'MODEL_INVALID', message: expect.stringMatching(/truncated|not a valid ONNX|no ONNX graph/) }));
    const text = save('name,value\nthis is a csv file, not a model\n', 'notes.onnx');
    expect(() => checkContract(text, 'style')).toThrow(expect.objectContaining({ code: 'MODEL_INVALID' }));
  });

  it('rejects an unknown task', () => {
    expect(() => checkContract(save(styleModelBytes()), 'pose')).toThrow(expect.objectContaining({ code: 'PARAM_INVALID' }));
  });
});
