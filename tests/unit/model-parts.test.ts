/**
 * The model made as several sessions of consecutive blocks (LensModel's parts), so that ONNX Runtime
 * is handed one part's weights at a time: how the blocks are grouped, what each part's graph reads
 * and outputs, and that the parts joined give the whole model's residual stream and trajectories.
 * (Typing into a model in parts is in incremental.test.ts, its sub-layer rows in sublayers.test.ts.)
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LensModel, modelParts, PART_BYTES } from '../../src/lens/lens-model.ts';
import { readSafetensors } from '../../src/lens/formats/safetensors.ts';
import { TunedLens, type Lens } from '../../src/lens/lens/tuned-lens.ts';
import { parseModelConfig } from '../../src/lens/model/architectures.ts';
import { loadModelFiles, type ModelFiles } from '../../src/lens/model/model-files.ts';
import { STATISTICS } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { lazyTensor, releaseTensorData, type Tensor32 } from '../../src/lens/tensor.ts';
import { PathSource } from '../../src/node/path-source.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { loadExpected } from '../helpers/tiny-gpt2.ts';
import { expectClose } from '../helpers/tolerance.ts';
import { GPT2_TOKENIZER_DIR } from '../helpers/trajectory.ts';

const SAME = { abs: 1e-6, rel: 1e-6 };

/** What every architecture's checkpoint class has beside the ModelCheckpoint interface (CheckedCheckpoint). */
type Tensors = { get(name: string): Tensor32 };

/** The folder's checkpoint read whole into memory (readSafetensors), not piece by piece. */
function checkpointFromBytes(folder: string) {
  const config = parseModelConfig(JSON.parse(readFileSync(fixturePath(`${folder}/config.json`), 'utf8')), 'config.json');
  return config.checkpoint(readSafetensors(readFileSync(fixturePath(`${folder}/model.safetensors`)), 'model.safetensors'), 'model.safetensors');
}

describe('modelParts', () => {
  it('makes GPT-2 small (12 blocks of 28 MB) six parts of two blocks, and the embedded model (6 of 3 MB) one part', () => {
    expect(modelParts({ numLayers: 12, dModel: 768 })).toEqual([0, 2, 4, 6, 8, 10].map((from) => ({ from, to: from + 2 })));
    expect(modelParts({ numLayers: 6, dModel: 256 })).toEqual([{ from: 0, to: 6 }]);
    // Pythia-70m's 6 blocks of 512: 12.6 MB each, five to a part.
    expect(modelParts({ numLayers: 6, dModel: 512 }, PART_BYTES)).toEqual([
      { from: 0, to: 5 },
      { from: 5, to: 6 },
    ]);
    expect(modelParts({ numLayers: 3, dModel: 32 }, 1)).toEqual([0, 1, 2].map((from) => ({ from, to: from + 1 })));
  });
});

describe.each(['tiny-gpt2', 'tiny-neox', 'tiny-neox-sequential'])('%s in parts', (folder) => {
  let files: ModelFiles;
  let whole: LensModel;
  let parts: LensModel;
  let tuned: Lens;
  beforeAll(async () => {
    files = await loadModelFiles(new PathSource(fixturePath(folder)), { tokenizerFallback: new PathSource(GPT2_TOKENIZER_DIR) });
    whole = await LensModel.create(ort, files);
    parts = await LensModel.create(ort, files, { partBytes: 1 });
    const lens = folder === 'tiny-gpt2' ? 'lenses/current' : 'tiny-neox-lens';
    tuned = await TunedLens.load(new PathSource(fixturePath(lens)), { onNotice: () => undefined });
  });
  afterAll(async () => {
    await whole?.release();
    await parts?.release();
  });

  it('builds the first part from the token embeddings, a later one from the stream entering its first block, each with its own blocks’ cache', () => {
    const L = files.checkpoint.config.numLayers;
    const io = (blocks: { from: number; to: number }) => {
      const graph = onnx.ModelProto.decode(files.checkpoint.modelGraph({ blocks }).bytes).graph!;
      const dims = (name: string) =>
        graph.output!.find((o) => o.name === name)!.type!.tensorType!.shape!.dim!.map((dim) => dim.dimValue?.toString() || dim.dimParam);
      return {
        inputs: graph.input!.map((i) => i.name),
        weights: graph.initializer!.map((t) => t.name ?? ''),
        stream: dims('residual_stream'),
        keys: dims('present_keys'),
      };
    };
    const first = io({ from: 0, to: 1 });
    expect(first.inputs).toEqual(['token_embeddings', 'past_keys', 'past_values']);
    // The embedding matrix is in no session: the lens head holds the unembedding, for GPT-2 the same matrix.
    expect(first.weights.filter((name) => /^(wte|embed_in)\./.test(name))).toEqual([]);
    expect(first.stream[0]).toBe('2'); // the embeddings and block 0's output
    expect(first.keys[0]).toBe('1');
    const later = io({ from: 1, to: L });
    expect(later.inputs).toEqual(['hidden', 'past_keys', 'past_values']);
    expect(later.stream[0]).toBe(String(L - 1));
    expect(later.keys[0]).toBe(String(L - 1));
    expect(() => files.checkpoint.modelGraph({ blocks: { from: 1, to: 1 } })).toThrow(/not within/);
  });

  it('looks up token embeddings row by row from the file, as the embedding matrix holds them', async () => {
    const name = folder === 'tiny-gpt2' ? 'wte.weight' : 'embed_in.weight';
    const eager = checkpointFromBytes(folder);
    const matrix = (eager as unknown as Tensors).get(name);
    const d = matrix.shape[1];
    const ids = [3, 0, matrix.shape[0] - 1, 3];
    const want = ids.flatMap((id) => Array.from(matrix.data.subarray(id * d, (id + 1) * d)));
    expect((files.checkpoint as unknown as Tensors).get(name).rows, 'read from a file, piece by piece').toBeDefined();
    expect(Array.from(await files.checkpoint.tokenEmbedder()(ids))).toEqual(want);
    expect(Array.from(await eager.tokenEmbedder()(ids))).toEqual(want);
  });

  it('gives the whole model’s residual stream and trajectory', async () => {
    const ids = loadExpected(folder).prompts.reduce((longest, p) => (p.input_ids.length > longest.length ? p.input_ids : longest), [] as number[]);
    const a = await whole.residualStream(ids);
    const b = await parts.residualStream(ids);
    expect(b.shape).toEqual(a.shape);
    expectClose('residual stream', b.data, a.data, SAME, b.shape);
    const want = await whole.trajectory(ids, tuned, { topk: 3, reuse: false });
    const got = await parts.trajectory(ids, tuned, { topk: 3, reuse: false });
    expect(Array.from(got.topkIds)).toEqual(Array.from(want.topkIds));
    for (const s of STATISTICS) {
      const finite = (x: Float32Array) => x.map((v) => (Number.isNaN(v) ? 0 : v));
      expectClose(s, finite(got.statistics[s]), finite(want.statistics[s]), SAME, [got.rows.length, got.numPositions]);
    }
  });
});

describe('lazyTensor', () => {
  it('reads its data at each access, and releaseTensorData frees a read at once but leaves other arrays alone', () => {
    let reads = 0;
    const tensor = lazyTensor([2, 3], () => {
      reads++;
      return new Float32Array(6).fill(reads);
    });
    const first = tensor.data;
    expect(Array.from(tensor.data)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(reads).toBe(2);
    const kept = new Float32Array(6);
    releaseTensorData(kept);
    expect(kept.length).toBe(6);
    releaseTensorData(first);
    // Where ArrayBuffer.prototype.transfer exists (Chromium, Node ≥ 21) the read's memory is gone.
    const canTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';
    expect(first.buffer.byteLength).toBe(canTransfer ? 0 : 24);
  });
});
