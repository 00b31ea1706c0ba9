/**
 * The training loop of the tuned lens (architecture.md §3 (Training)): `steps` optimiser steps, each over
 * `tokensPerStep` tokens (rounded up to whole chunks) of shuffled training chunks; per chunk the
 * model's residual stream, packed into batches of `batchTokens` positions for the train-step graph,
 * whose gradients are accumulated weighted by each batch's share of the step's tokens (so a step's
 * gradient is the mean over all its tokens, whatever the batching); then clip, Nesterov SGD, decay.
 * The translators start at zero (the logit lens).
 *
 * It runs anywhere src/lens runs — Node or a browser Worker: the model's residual stream, the text,
 * and file storage come in as functions (`residualStream`, `corpus`, `save`/`load`). Every
 * `checkpointEvery` steps it saves `checkpoint.safetensors` (translators, momentum, step, data
 * position); with `resume` it continues from there and finishes exactly as an uninterrupted run
 * would. An aborted `signal` stops it between graph runs: the unfinished step is dropped and the
 * finished ones are saved. When the run completes it saves the lens (config.json, params.pt,
 * params.safetensors).
 */
import { ModelMismatchError } from '../errors.ts';
import type { Ort } from '../lens-model.ts';
import type { TunedLens } from '../lens/tuned-lens.ts';
import type { Tensor32 } from '../tensor.ts';
import { CHECKPOINT_FILE, decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';
import { DATA_DEFAULTS, trainingChunks, type Corpus, type TextEncoderLike, type TokenChunk } from './data.ts';
import { lensFiles, trainedLens, type LensFileOptions } from './lens-files.ts';
import { RowBatcher, tokensPerRun } from './row-batches.ts';
import { paperLearningRate, SGD } from './sgd.ts';
import { TrainStep, type SessionOptions } from './train-step.ts';
import type { Unembedding } from './unembedding.ts';

export interface TrainOptions {
  /** Optimiser steps (250). */
  steps: number;
  /** Tokens per step (2¹⁸ = 262,144), rounded up to whole chunks. */
  tokensPerStep: number;
  /** Tokens per chunk (1024 for GPT-2; ≤ n_positions). */
  context: number;
  /** The paper's learning rate (1.0); SGD's step size is lr·(1 − momentum). */
  lr: number;
  momentum: number;
  weightDecay: number;
  clip: number;
  warmupSteps: number;
  /** Shuffle and held-out split seed (42). */
  seed: number;
  heldOutFraction: number;
  shuffleBuffer: number;
  /** Positions per train-step graph run; by default as many as keep one [L, N, V] tensor ≤ maxLogitsElements. */
  batchTokens?: number;
  /** Bound on one [L, N, V] float32 tensor of the graph, in elements (2²⁸ = 1 GiB). */
  maxLogitsElements: number;
  /** Save a checkpoint every this many steps (1). */
  checkpointEvery: number;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  steps: 250,
  tokensPerStep: 2 ** 18,
  context: 1024,
  lr: 1.0,
  momentum: 0.9,
  weightDecay: 1e-3,
  clip: 1.0,
  warmupSteps: 0,
  seed: DATA_DEFAULTS.seed,
  heldOutFraction: DATA_DEFAULTS.heldOutFraction,
  shuffleBuffer: DATA_DEFAULTS.shuffleBuffer,
  maxLogitsElements: 2 ** 28,
  checkpointEvery: 1,
};

export interface TrainProgress {
  /** Completed steps. */
  step: number;
  steps: number;
  /** Tokens in one step. */
  tokensPerStep: number;
  /** Over the steps run in this session (excluding resumed ones). */
  tokensPerSecond: number;
  /** [L] mean KL(p ‖ q_ℓ) over this step's tokens, in nats. */
  lossPerLayer: number[];
  meanLoss: number;
  learningRate: number;
  /** ‖g‖ before clipping. */
  gradNorm: number;
  elapsedSeconds: number;
  etaSeconds: number;
}

export interface TrainRun {
  /** Where the lens is being trained: the model and its shape, its tokenizer and its residual stream. */
  ort: Ort;
  baseModel: string;
  unembedding: Unembedding;
  numLayers: number;
  nPositions: number;
  /** The id joined between documents (50256 for GPT-2). */
  eosId: number;
  tokenizer: TextEncoderLike;
  /** [L+1, T, d] for T ids: LensModel.residualStream. */
  residualStream(ids: number[]): Promise<Tensor32>;
  /** The training text (read once per epoch). */
  corpus: Corpus;
  /** Names the data in the checkpoint, so that a resume with other data is refused. */
  dataDescription?: string;
  /** Storage for checkpoints and the finished lens (a folder in the CLI, memory or OPFS in a page). */
  save(name: string, bytes: Uint8Array): Promise<void>;
  load(name: string): Promise<Uint8Array | undefined>;
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?(progress: TrainProgress): void;
  onNotice?(message: string): void;
  sessionOptions?: SessionOptions;
  lensFileOptions?: Partial<LensFileOptions>;
}

export interface TrainResult {
  lens: TunedLens;
  /** Completed steps. */
  step: number;
  completed: boolean;
  /** Progress of every step run in this session. */
  history: TrainProgress[];
  /** What a step actually is after rounding. */
  chunksPerStep: number;
  batchTokens: number;
}

/** Settings a resumed run must share with the run it continues. */
interface RunSettings {
  baseModel: string;
  data: string | null;
  numLayers: number;
  dModel: number;
  steps: number;
  tokensPerStep: number;
  context: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  clip: number;
  warmupSteps: number;
  seed: number;
  heldOutFraction: number;
  shuffleBuffer: number;
}

export class ResumeError extends Error {
  override name = 'ResumeError';
}

export async function trainTunedLens(run: TrainRun, partial: Partial<TrainOptions> = {}): Promise<TrainResult> {
  const options: TrainOptions = { ...TRAIN_DEFAULTS, ...partial };
  const { numLayers: L, unembedding: u } = run;
  const d = u.dModel;
  validate(options, run);
  const notice = run.onNotice ?? (() => undefined);

  const chunksPerStep = Math.ceil(options.tokensPerStep / options.context);
  const tokensPerStep = chunksPerStep * options.context;
  if (tokensPerStep !== options.tokensPerStep) {
    notice(`tokens per step: ${options.tokensPerStep} rounded up to ${tokensPerStep} (${chunksPerStep} chunks of ${options.context})`);
  }
  const batchTokens = options.batchTokens ?? tokensPerRun(L, u.vocabSize, options.maxLogitsElements, tokensPerStep);

  const settings: RunSettings = {
    baseModel: run.baseModel,
    data: run.dataDescription ?? null,
    numLayers: L,
    dModel: d,
    steps: options.steps,
    tokensPerStep,
    context: options.context,
    lr: options.lr,
    momentum: options.momentum,
    weightDecay: options.weightDecay,
    clip: options.clip,
    warmupSteps: options.warmupSteps,
    seed: options.seed,
    heldOutFraction: options.heldOutFraction,
    shuffleBuffer: options.shuffleBuffer,
  };

  const weight = new Float32Array(L * d * d);
  const bias = new Float32Array(L * d);
  const sgd = new SGD([weight, bias], {
    learningRate: paperLearningRate(options.lr, options.momentum),
    momentum: options.momentum,
    weightDecay: options.weightDecay,
    clip: options.clip,
    nesterov: true,
    steps: options.steps,
    warmupSteps: options.warmupSteps,
  });

  let chunksConsumed = 0;
  const saved = await run.load(CHECKPOINT_FILE);
  if (saved && !run.resume) {
    throw new ResumeError(`${CHECKPOINT_FILE}: the output already holds a checkpoint of an earlier run — resume it (--resume) or choose another output`);
  }
  if (saved) {
    const checkpoint = decodeCheckpoint<RunSettings>(saved);
    const changed = Object.keys(settings).filter((k) => JSON.stringify(checkpoint.run[k as keyof RunSettings]) !== JSON.stringify(settings[k as keyof RunSettings]));
    if (changed.length > 0) {
      const was = changed.map((k) => `${k} ${JSON.stringify(checkpoint.run[k as keyof RunSettings])} → ${JSON.stringify(settings[k as keyof RunSettings])}`);
      throw new ResumeError(`${CHECKPOINT_FILE}: cannot resume with different settings (${was.join(', ')}) — use the original ones, or start a new run in another output`);
    }
    if (checkpoint.numLayers !== L || checkpoint.dModel !== d) {
      throw new ModelMismatchError(`${CHECKPOINT_FILE}: translators for ${checkpoint.numLayers} layers of width ${checkpoint.dModel}, but the model has ${L} of ${d}`);
    }
    weight.set(checkpoint.weight);
    bias.set(checkpoint.bias);
    sgd.load({ step: checkpoint.step, momentum: [checkpoint.momentumWeight, checkpoint.momentumBias] });
    chunksConsumed = checkpoint.chunksConsumed;
    notice(`resuming after step ${checkpoint.step} of ${options.steps} (${chunksConsumed} chunks read)`);
  } else if (run.resume) {
    notice(`no ${CHECKPOINT_FILE} to resume from: starting at step 0`);
  }

  const lens = trainedLens(weight, bias, L, d, run.baseModel);
  const saveCheckpoint = () =>
    run.save(
      CHECKPOINT_FILE,
      encodeCheckpoint({ step: sgd.step, chunksConsumed, run: settings, numLayers: L, dModel: d, weight, bias, momentumWeight: sgd.momentum[0], momentumBias: sgd.momentum[1] }),
    );
  const history: TrainProgress[] = [];
  const result = (completed: boolean): TrainResult => ({ lens, step: sgd.step, completed, history, chunksPerStep, batchTokens });

  if (sgd.step < options.steps) {
    const data = trainingChunks(run.corpus, run.tokenizer, { ...options, eosId: run.eosId });
    for (let skipped = 0; skipped < chunksConsumed; skipped++) await next(data);

    const trainStep = await TrainStep.create(run.ort, u, run.sessionOptions);
    const batcher = new RowBatcher(L, d, batchTokens);
    const gradWeight = new Float32Array(L * d * d);
    const gradBias = new Float32Array(L * d);
    const loss = new Float64Array(L);
    const started = now();
    let tokensThisSession = 0;
    let lastSaved = sgd.step;
    try {
      while (sgd.step < options.steps) {
        if (run.signal?.aborted) break;
        gradWeight.fill(0);
        gradBias.fill(0);
        loss.fill(0);
        const accumulate = async (batch: { residual: Float32Array; output: Float32Array; tokens: number }) => {
          const out = await trainStep.run(batch.residual, batch.output, weight, bias);
          const share = batch.tokens / tokensPerStep;
          for (let i = 0; i < gradWeight.length; i++) gradWeight[i] += share * out.gradWeight[i];
          for (let i = 0; i < gradBias.length; i++) gradBias[i] += share * out.gradBias[i];
          for (let l = 0; l < L; l++) loss[l] += share * out.loss[l];
        };
        let aborted = false;
        for (let c = 0; c < chunksPerStep && !aborted; c++) {
          const chunk = await next(data);
          const stream = await run.residualStream(chunk.ids);
          for (const batch of batcher.add(stream)) {
            await accumulate(batch);
            if (run.signal?.aborted) {
              aborted = true;
              break;
            }
          }
        }
        if (aborted) {
          batcher.clear();
          break;
        }
        const last = batcher.flush();
        if (last) await accumulate(last);

        chunksConsumed += chunksPerStep;
        const report = sgd.update([gradWeight, gradBias]);
        tokensThisSession += tokensPerStep;
        if (sgd.step % options.checkpointEvery === 0 || sgd.step === options.steps) {
          await saveCheckpoint();
          lastSaved = sgd.step;
        }
        const elapsedSeconds = (now() - started) / 1000;
        const tokensPerSecond = tokensThisSession / Math.max(elapsedSeconds, 1e-9);
        const lossPerLayer = Array.from(loss);
        const progress: TrainProgress = {
          step: sgd.step,
          steps: options.steps,
          tokensPerStep,
          tokensPerSecond,
          lossPerLayer,
          meanLoss: lossPerLayer.reduce((a, b) => a + b, 0) / L,
          learningRate: report.learningRate,
          gradNorm: report.gradNorm,
          elapsedSeconds,
          etaSeconds: ((options.steps - sgd.step) * tokensPerStep) / tokensPerSecond,
        };
        history.push(progress);
        run.onProgress?.(progress);
      }
      if (sgd.step !== lastSaved) await saveCheckpoint(); // stopped between checkpoints: keep the finished steps
    } finally {
      await trainStep.release();
      await data.return(undefined);
    }
  }

  const completed = sgd.step >= options.steps;
  if (completed) {
    const files = lensFiles(lens, { baseModel: run.baseModel, ...run.lensFileOptions });
    for (const [name, bytes] of files) await run.save(name, bytes);
  }
  return result(completed);
}

async function next(data: AsyncGenerator<TokenChunk>): Promise<TokenChunk> {
  const { value, done } = await data.next();
  if (done) throw new Error('the training data ended'); // trainingChunks is endless; this is a bug if reached
  return value;
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

function validate(options: TrainOptions, run: TrainRun): void {
  const positiveInteger = (name: keyof TrainOptions) => {
    const v = options[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, not ${String(v)}`);
  };
  for (const name of ['steps', 'tokensPerStep', 'context', 'shuffleBuffer', 'checkpointEvery', 'maxLogitsElements'] as const) positiveInteger(name);
  if (options.batchTokens !== undefined) positiveInteger('batchTokens');
  if (options.context > run.nPositions) {
    throw new RangeError(`context ${options.context} is longer than ${run.baseModel}'s n_positions ${run.nPositions} — use --context ${run.nPositions} or less`);
  }
  if (options.context < 2) throw new RangeError('context must be at least 2 tokens');
  if (!(options.heldOutFraction >= 0 && options.heldOutFraction < 1)) throw new RangeError(`heldOutFraction must be in [0, 1), not ${options.heldOutFraction}`);
  if (!(options.lr >= 0)) throw new RangeError(`lr must be ≥ 0, not ${options.lr}`);
}
