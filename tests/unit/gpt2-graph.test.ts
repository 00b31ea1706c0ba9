import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GPT2Checkpoint } from '../../src/lens/model/gpt2-checkpoint.ts';
import { buildGPT2Graph } from '../../src/lens/model/gpt2-graph.ts';
import { modelFeeds } from '../../src/lens/model/kv-cache.ts';
import { GraphBuilder } from '../../src/lens/onnx/graph-builder.ts';
import { expectClose } from '../helpers/tolerance.ts';
import { loadExpected, loadTinyCheckpoint, type ExpectedPrompt } from '../helpers/tiny-gpt2.ts';
import { sessionArgs } from '../helpers/onnx.ts';

/** The residual stream agrees with the reference to 1e-4, absolute and relative combined. */
const STREAM = { abs: 1e-4, rel: 1e-4 };

/** The whole prompt through the model graph (no cached keys and values: P = 0). */
async function residualStream(session: ort.InferenceSession, ids: number[], checkpoint: GPT2Checkpoint): Promise<ort.Tensor> {
  const { residual_stream } = await session.run(await modelFeeds(ort.Tensor, checkpoint, ids));
  return residual_stream;
}

describe('graph builder', () => {
  it('encodes a model that onnxruntime runs', async () => {
    const g = new GraphBuilder('affine');
    const x = g.input('x', 'float32', ['N', 2]); // [N, 2]
    const w = g.initializer('w', new Float32Array([1, 2, 3, 4]), [2, 2]); // [2, 2]
    const y = g.node('Add', [g.node('MatMul', [x, w]), g.scalar(0.5)]); // [N, 2]
    const [a, b] = g.node('Split', [y], { axis: 1 }, 2); // 2 × [N, 1]
    g.output('sum', 'float32', ['N', 1], g.node('Add', [a, b]));
    const session = await ort.InferenceSession.create(g.toModel());
    const { sum } = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 1, 0, 2]), [2, 2]) });
    expect(Array.from(sum.data as Float32Array)).toEqual([4.5 + 6.5, 6.5 + 8.5]);
  });

  it('refuses a node that reads a value nothing defines', () => {
    const g = new GraphBuilder('broken');
    expect(() => g.node('Relu', ['nowhere'])).toThrow(/Relu reads 'nowhere', which nothing defines yet/);
  });
});

describe.each([
  ['tiny-gpt2', 'float32 weights'],
  ['tiny-gpt2-f16', 'float16 weights with transformer. names'],
])('GPT-2 model graph on %s (%s)', (name) => {
  const expected = loadExpected(name);
  let session: ort.InferenceSession;
  let ckpt: GPT2Checkpoint;
  beforeAll(async () => {
    ckpt = loadTinyCheckpoint(name);
    session = await ort.InferenceSession.create(...sessionArgs(buildGPT2Graph(ckpt)));
  });

  it.each(expected.prompts.map((p): [string, ExpectedPrompt] => [p.name, p]))(
    'computes the residual stream of the prompt "%s" within 1e-4',
    async (_, prompt) => {
      const stream = await residualStream(session, prompt.input_ids, ckpt);
      expect(stream.dims).toEqual(prompt.residual_stream.shape);
      expectClose('residual_stream', stream.data as Float32Array, prompt.residual_stream.data, STREAM, prompt.residual_stream.shape);
    },
  );
});
