/**
 * The embedded default model as the site ships it: loaded through the same library path as GPT-2,
 * its file is the one the model card describes, its predictions match the PyTorch reference
 * (tools/default-model/greedy_reference.py) on held-out sentences, and it copies a random string typed
 * twice, which is what the seed prompt exists to show.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathSource } from '../../src/node/path-source.ts';
import { LensModel } from '../../src/lens/lens-model.ts';
import { LogitLens, TunedLens } from '../../src/lens/lens/tuned-lens.ts';
import { loadModelFiles } from '../../src/lens/model/model-files.ts';
import { inductionCurve, randomPrintableStrings } from '../../src/lens/trajectory/induction.ts';

const MODEL_DIR = 'public/models/pd-gpt2-6l';
const reference = JSON.parse(readFileSync('tests/fixtures/default-model/greedy.json', 'utf8')) as {
  model_sha256: string;
  predictions: { prompt: string; input_ids: number[]; next_id: number; next_token: string; probability: number }[];
};

let model: LensModel;
// Building the ORT sessions of an 11.7 MB model takes seconds, more than the default 10 s hook limit on a busy machine.
beforeAll(async () => {
  model = await LensModel.create(ort, await loadModelFiles(new PathSource(MODEL_DIR)));
}, 60_000);
afterAll(() => model?.release());

describe('the embedded default model', () => {
  it('is the file the model card describes', () => {
    const sha = createHash('sha256')
      .update(readFileSync(`${MODEL_DIR}/model.safetensors`))
      .digest('hex');
    expect(sha).toBe(reference.model_sha256);
    expect(readFileSync(`${MODEL_DIR}/README.md`, 'utf8')).toContain(sha);
  });

  it('is a 6-layer GPT-2 with its own 4,096-token vocabulary and a 256-token context', () => {
    expect(model.config).toMatchObject({ numLayers: 6, dModel: 256, numHeads: 4, vocabSize: 4096, nPositions: 256 });
  });

  it('tokenizes held-out sentences exactly as the Python BPE does and predicts what PyTorch predicts', async () => {
    const lens = new LogitLens(model.config.numLayers, model.config.dModel);
    for (const { prompt, input_ids, next_id, probability } of reference.predictions) {
      expect(model.encode(prompt), prompt).toEqual(input_ids);
      const trajectory = await model.trajectory(input_ids, lens, { topk: 1 });
      const top = trajectory.topk(trajectory.rows.length - 1, input_ids.length - 1)[0];
      expect(top.id, prompt).toBe(next_id);
      expect(Math.abs(top.probability - probability), prompt).toBeLessThan(1e-4);
    }
  });

  it('ships a tuned lens that reads every layer closer to the output than the logit lens on held-out text', async () => {
    const tuned = await TunedLens.load(new PathSource(`${MODEL_DIR}/lens`));
    const logit = new LogitLens(model.config.numLayers, model.config.dModel);
    const text = reference.predictions.map((p) => p.prompt).join('\n');
    const ids = model.encode(text);
    const meanKl = async (lens: TunedLens | LogitLens) => {
      const t = await model.trajectory(ids, lens, { topk: 1 });
      return t.rows.slice(0, -1).map((_, r) => t.inputIds.reduce((sum, _id, p) => sum + t.statistic('forwardKl', r, p)!, 0) / ids.length);
    };
    const [klTuned, klLogit] = [await meanKl(tuned), await meanKl(logit)];
    klTuned.forEach((kl, layer) => expect(kl, `layer ${layer}`).toBeLessThan(klLogit[layer]));
  });

  it('predicts the second copy of random strings it has never seen (induction), from the output and not from layer 0', async () => {
    // Fresh strings: a generator (mulberry32) and seed that the training (numpy, seeds 1234 and 777) never used.
    const strings = randomPrintableStrings(24, { seed: 424242, minLength: 16, maxLength: 32 });
    const curve = await inductionCurve(model, new LogitLens(model.config.numLayers, model.config.dModel), strings);
    expect(curve.predictable).toBeGreaterThan(24 * 8);
    expect(curve.rows.at(-1)).toBe('output');
    expect(curve.accuracy.at(-1)).toBeGreaterThanOrEqual(0.9);
    // Copying needs attention to the first copy: the embeddings alone cannot know the string.
    expect(curve.accuracy[0]).toBeLessThan(0.2);
  });
});
