/**
 * A short training run of the tuned lens on the tiny model (tests/fixtures/train/shakespeare-*.txt,
 * 20 kB to train on and 5 kB held out): the trained lens beats the logit lens on held-out text at
 * every layer, an interrupted run resumes to the same lens, and what it writes loads — here with our
 * readers, and in PyTorch (tests/fixtures/train/torch-load.json, from train_reference.py --check-lens
 * on tests/fixtures/train/trained-lens/, which `lens train` wrote with these settings).
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCorpus } from '../../src/cli/data.ts';
import { readSafetensors } from '../../src/lens/formats/safetensors.ts';
import { readTorchStateDict } from '../../src/lens/formats/torch-pickle.ts';
import type { Source } from '../../src/lens/io/source.ts';
import { LogitLens, TunedLens } from '../../src/lens/lens/tuned-lens.ts';
import type { LensSession } from '../../src/lens/session.ts';
import { CHECKPOINT_FILE, decodeCheckpoint } from '../../src/lens/train/checkpoint.ts';
import { allChunks } from '../../src/lens/train/data.ts';
import { evaluateLenses, type Evaluation } from '../../src/lens/train/evaluate.ts';
import { tokenByteLengths } from '../../src/lens/train/token-bytes.ts';
import { ResumeError, trainTunedLens, type TrainOptions, type TrainProgress, type TrainResult, type TrainRun } from '../../src/lens/train/trainer.ts';
import { PathSource } from '../../src/node/path-source.ts';
import { loadNodeSession } from '../../src/node/session.ts';
import { fixturePath, readFixture, readFixtureJson } from '../helpers/fixtures.ts';
import { expectClose } from '../helpers/tolerance.ts';

/** The settings `lens train` used for tests/fixtures/train/trained-lens (see tests/fixtures/train/README.md). */
const OPTIONS: Partial<TrainOptions> = { steps: 8, tokensPerStep: 512, context: 128, seed: 42, heldOutFraction: 0 };
const TRAIN_TEXT = fixturePath('train/shakespeare-train.txt');
const HELDOUT_TEXT = fixturePath('train/shakespeare-heldout.txt');

/** The trainer's storage in memory, as a page would keep it. */
class MemoryStore {
  readonly files = new Map<string, Uint8Array>();
  save = async (name: string, bytes: Uint8Array) => void this.files.set(name, bytes.slice());
  load = async (name: string) => this.files.get(name)?.slice();
  source(): Source {
    return {
      name: 'memory',
      read: async (file) => {
        const bytes = this.files.get(file);
        if (!bytes) throw new Error(`memory: no ${file}`);
        return bytes.slice();
      },
      has: async (file) => this.files.has(file),
    };
  }
}

let tiny: LensSession;
function run(store: MemoryStore, extra: Partial<TrainRun> = {}): TrainRun {
  return {
    session: tiny,
    corpus: fileCorpus([TRAIN_TEXT]),
    dataDescription: 'shakespeare-train.txt',
    save: store.save,
    load: store.load,
    ...extra,
  };
}

const straight = new MemoryStore();
let trained: TrainResult;
let heldOut: Evaluation;

beforeAll(async () => {
  tiny = await loadNodeSession(new PathSource(fixturePath('tiny-gpt2')));
  trained = await trainTunedLens(run(straight), OPTIONS);
  const { numLayers: L, dModel: d, vocabSize } = tiny.model.config;
  heldOut = await evaluateLenses({
    ort,
    modelName: 'tiny-gpt2',
    unembedding: await tiny.unembedding(),
    numLayers: L,
    residualStream: (ids) => tiny.model.residualStream(ids),
    chunks: allChunks(fileCorpus([HELDOUT_TEXT]), tiny.model.tokenizer, { context: 128, eosId: tiny.eosId }),
    lenses: [
      { name: 'tuned', lens: trained.lens },
      { name: 'logit', lens: new LogitLens(L, d) },
    ],
    tokenBytes: tokenByteLengths(tiny.tokenizer.json, vocabSize),
  });
}, 120_000);
afterAll(async () => tiny?.release());

describe('training a tuned lens on the tiny model', () => {
  it('runs every step, lowering the loss, and reports progress', () => {
    expect(trained.completed).toBe(true);
    expect(trained.step).toBe(8);
    expect(trained.history.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const first = trained.history[0];
    const last = trained.history[7];
    expect(first.lossPerLayer).toHaveLength(3);
    expect(first.tokensPerStep).toBe(512);
    expect(first.tokensPerSecond).toBeGreaterThan(0);
    expect(first.learningRate).toBeCloseTo(0.1, 12);
    expect(last.learningRate).toBeCloseTo(0.1 / 8, 12);
    expect(last.etaSeconds).toBe(0);
    for (let l = 0; l < 3; l++) expect(last.lossPerLayer[l]).toBeLessThan(first.lossPerLayer[l]);
  });

  it('beats the logit lens in KL to the output at every layer of held-out text', () => {
    const [tuned, logit] = heldOut.lenses;
    expect(heldOut.chunks).toBeGreaterThanOrEqual(8);
    for (let l = 0; l < 3; l++) {
      expect(tuned.forwardKl[l], `layer ${l}: tuned ${tuned.forwardKl[l]} vs logit ${logit.forwardKl[l]}`).toBeLessThan(0.8 * logit.forwardKl[l]);
    }
    // The output row is the model itself, the same for both lenses.
    expect(tuned.crossEntropy[3]).toBe(logit.crossEntropy[3]);
  });

  it('writes the lens in the current format, readable by our loaders', async () => {
    const config = JSON.parse(new TextDecoder().decode(straight.files.get('config.json')));
    expect(config).toEqual({
      base_model_name_or_path: 'tiny-gpt2',
      d_model: 32,
      num_hidden_layers: 3,
      bias: true,
      base_model_revision: null,
      unembed_hash: null,
      lens_type: 'linear_tuned_lens',
    });
    const state = trained.lens.stateDict();
    const fromPt = readTorchStateDict(straight.files.get('params.pt')!, 'params.pt');
    const fromSafetensors = readSafetensors(straight.files.get('params.safetensors')!, 'params.safetensors');
    expect([...fromPt.keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias']);
    for (const [key, tensor] of state) {
      expect(fromPt.get(key)!.shape).toEqual(tensor.shape);
      expect(fromPt.get(key)!.data).toEqual(tensor.data);
      expect(fromSafetensors.get(key)!.data).toEqual(tensor.data);
    }
    const loaded = await TunedLens.load(straight.source(), { onNotice: () => undefined });
    expect(loaded.translatorWeight).toEqual(trained.lens.translatorWeight);
    expect(loaded.translatorBias).toEqual(trained.lens.translatorBias);
  });

  it('trains the lens that `lens train` wrote into the fixture, which PyTorch loads to the same values', () => {
    // torch.load of the committed params.pt (train_reference.py --check-lens) …
    const torchLoad = readFixtureJson<{ type: string; keys: string[]; tensors: Record<string, { dtype: string; shape: number[]; data: number[] }> }>(
      'train/torch-load.json',
    );
    expect(torchLoad.type).toBe('OrderedDict');
    const committed = readTorchStateDict(readFixture('train/trained-lens/params.pt'), 'trained-lens/params.pt');
    expect([...committed.keys()]).toEqual(torchLoad.keys);
    for (const key of torchLoad.keys) {
      expect(torchLoad.tensors[key].dtype).toBe('torch.float32');
      expect(committed.get(key)!.shape).toEqual(torchLoad.tensors[key].shape);
      // … is exactly what our reader reads (float32 values written as shortest decimals) …
      expect(Array.from(committed.get(key)!.data)).toEqual(torchLoad.tensors[key].data.map(Math.fround));
      // … and what this run trained, up to the float rounding another CPU's kernels may differ by.
      const ours = trained.lens.stateDict().get(key)!.data;
      expectClose(`translator ${key}`, ours, torchLoad.tensors[key].data, { abs: 1e-5, rel: 1e-4 });
    }
  });
});

describe('resuming an interrupted run', () => {
  it('continues from the last checkpoint to the same lens as an uninterrupted run', async () => {
    const store = new MemoryStore();
    const crash = new Error('simulated crash after step 5');
    // checkpointEvery 2: the crash after step 5 loses step 5, which the resumed run redoes.
    const options = { ...OPTIONS, checkpointEvery: 2 };
    await expect(
      trainTunedLens(
        run(store, {
          onProgress: (p: TrainProgress) => {
            if (p.step === 5) throw crash;
          },
        }),
        options,
      ),
    ).rejects.toBe(crash);
    expect(decodeCheckpoint(store.files.get(CHECKPOINT_FILE)!).step).toBe(4);
    expect(store.files.has('params.pt')).toBe(false);

    const notices: string[] = [];
    const resumed = await trainTunedLens(run(store, { resume: true, onNotice: (m) => notices.push(m) }), options);
    expect(notices).toContain('resuming after step 4 of 8 (16 chunks read)');
    expect(resumed.completed).toBe(true);
    expect(resumed.history.map((p) => p.step)).toEqual([5, 6, 7, 8]);
    expect(resumed.lens.translatorWeight).toEqual(trained.lens.translatorWeight);
    expect(resumed.lens.translatorBias).toEqual(trained.lens.translatorBias);
    expect(store.files.get('params.pt')).toEqual(straight.files.get('params.pt'));
  });

  it('stops when aborted, keeping the finished steps, and refuses to resume with other settings', async () => {
    const store = new MemoryStore();
    const controller = new AbortController();
    const stopped = await trainTunedLens(
      run(store, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step === 2) controller.abort();
        },
      }),
      { ...OPTIONS, checkpointEvery: 5 },
    );
    expect(stopped.completed).toBe(false);
    expect(stopped.step).toBe(2);
    expect(decodeCheckpoint(store.files.get(CHECKPOINT_FILE)!).step).toBe(2);
    await expect(trainTunedLens(run(store), OPTIONS)).rejects.toThrow(/already holds a checkpoint.*--resume/);
    await expect(trainTunedLens(run(store, { resume: true }), { ...OPTIONS, lr: 0.5 })).rejects.toThrow(ResumeError);
    await expect(trainTunedLens(run(store, { resume: true }), { ...OPTIONS, lr: 0.5 })).rejects.toThrow(/lr 1 → 0.5/);
  });
});
