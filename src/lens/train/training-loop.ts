/**
 * The one training loop of the tuned lens (architecture.md §3 (Training)), for `lens train`, the
 * engine Worker and the build alike: `steps` optimiser steps, each over `chunksPerStep` chunks of the
 * data; per chunk the model's residual stream, packed into batches of `batchTokens` positions for the
 * train-step graph, whose gradients are accumulated weighted by each batch's share of the step's
 * tokens (so a step's gradient is the mean over all its tokens, whatever the batching); then clip,
 * Nesterov SGD, decay.
 *
 * `advance()` does one graph run (a chunk's residual stream, or one train-step batch) and returns the
 * step's progress when it finished an optimiser step, so a caller drives it at its own pace: the CLI
 * straight through with checkpoints, the Worker a piece at a time between the page's other requests,
 * pausing by not calling it. Stopping between graph runs (release) drops the unfinished step.
 */
import type { Lens, TunedLens } from '../lens/tuned-lens.ts';
import type { Ort } from '../lens-model.ts';
import type { Tensor32 } from '../tensor.ts';
import type { TokenChunk } from './data.ts';
import { lensFiles, trainedLens } from './lens-files.ts';
import { RowBatcher, tokensPerRun, type RowBatch } from './row-batches.ts';
import { paperLearningRate, SGD } from './sgd.ts';
import { TrainStep, type SessionOptions } from './train-step.ts';
import type { Unembedding } from './unembedding.ts';

export interface TrainProgress {
  /** Completed steps. */
  step: number;
  steps: number;
  /** Tokens in one step. */
  tokensPerStep: number;
  /** Over the steps run by this loop (excluding resumed ones), per second of its own work. */
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

/** The recipe's settings (the paper's: lr 1.0, momentum 0.9, weight decay 1e-3, clip 1.0, no warm-up). */
export interface LoopSettings {
  steps: number;
  /** Tokens per step asked for; rounded up to whole chunks of `context`. */
  tokensPerStep: number;
  context: number;
  /** The paper's learning rate; SGD's step size is lr·(1 − momentum). */
  lr: number;
  momentum: number;
  weightDecay: number;
  clip: number;
  warmupSteps: number;
  /** Positions per train-step graph run; by default as many as keep one [L, N, V] tensor ≤ maxLogitsElements. */
  batchTokens?: number;
  maxLogitsElements: number;
}

/** What a step is once `tokensPerStep` is rounded up to whole chunks. */
export function stepShape(tokensPerStep: number, context: number): { chunksPerStep: number; tokensPerStep: number } {
  const chunksPerStep = Math.ceil(tokensPerStep / context);
  return { chunksPerStep, tokensPerStep: chunksPerStep * context };
}

export interface TrainingLoopSetup {
  ort: Ort;
  unembedding: Unembedding;
  numLayers: number;
  /** `base_model_name_or_path` of the lens files. */
  baseModel: string;
  /** [L+1, T, d] for T ids: LensModel.residualStream. */
  residualStream(ids: number[]): Promise<Tensor32>;
  /** Endless training chunks (trainingChunks), released with the loop. */
  data: AsyncGenerator<TokenChunk>;
  settings: LoopSettings;
  /** The translators to start from (copied); zero (the logit lens) without one. */
  init?: Lens;
  sessionOptions?: SessionOptions;
}

export class TrainingLoop {
  readonly steps: number;
  readonly context: number;
  readonly chunksPerStep: number;
  readonly tokensPerStep: number;
  readonly batchTokens: number;
  /** The translators [L, d, d] and [L, d], updated in place by every step. */
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly sgd: SGD;
  private readonly work: AsyncGenerator<TrainProgress | null, void>;
  private activeMs = 0;
  private tokensDone = 0;

  private constructor(
    private readonly setup: TrainingLoopSetup,
    private trainStep: TrainStep | null,
  ) {
    const { settings: s, numLayers: L, unembedding: u } = setup;
    const d = u.dModel;
    this.steps = s.steps;
    this.context = s.context;
    ({ chunksPerStep: this.chunksPerStep, tokensPerStep: this.tokensPerStep } = stepShape(s.tokensPerStep, s.context));
    this.batchTokens = s.batchTokens ?? tokensPerRun(L, u.vocabSize, s.maxLogitsElements, this.tokensPerStep);
    this.weight = setup.init ? Float32Array.from(setup.init.translatorWeight) : new Float32Array(L * d * d);
    this.bias = setup.init ? Float32Array.from(setup.init.translatorBias) : new Float32Array(L * d);
    this.sgd = new SGD([this.weight, this.bias], {
      learningRate: paperLearningRate(s.lr, s.momentum),
      momentum: s.momentum,
      weightDecay: s.weightDecay,
      clip: s.clip,
      nesterov: true,
      steps: s.steps,
      warmupSteps: s.warmupSteps,
    });
    this.work = this.run();
  }

  /** Builds the train-step graph; `setup.data` must already be where training continues. */
  static async create(setup: TrainingLoopSetup): Promise<TrainingLoop> {
    return new TrainingLoop(setup, await TrainStep.create(setup.ort, setup.unembedding, setup.sessionOptions));
  }

  /** Completed optimiser steps. */
  get step(): number {
    return this.sgd.step;
  }

  get done(): boolean {
    return this.sgd.step >= this.steps;
  }

  /** Tokens per second of this loop's own work so far. */
  get tokensPerSecond(): number {
    return this.tokensDone / Math.max(this.activeMs / 1000, 1e-9);
  }

  get seconds(): number {
    return this.activeMs / 1000;
  }

  /** One graph run. Returns the step's progress when this run finished an optimiser step, else null. */
  async advance(): Promise<TrainProgress | null> {
    const start = now();
    try {
      const { value } = await this.work.next();
      return value ?? null;
    } finally {
      this.activeMs += now() - start;
    }
  }

  /** The translators as they are now, as a lens of their own (a copy: training may go on). */
  snapshot(): TunedLens {
    const { numLayers: L, unembedding, baseModel } = this.setup;
    return trainedLens(this.weight.slice(), this.bias.slice(), L, unembedding.dModel, baseModel);
  }

  /** config.json, params.pt and params.safetensors of the translators as they are now. */
  files(): Map<string, Uint8Array> {
    return lensFiles(this.snapshot(), { baseModel: this.setup.baseModel });
  }

  async release(): Promise<void> {
    await this.work.return(undefined);
    await this.setup.data.return(undefined);
    await this.trainStep?.release();
    this.trainStep = null;
  }

  private async *run(): AsyncGenerator<TrainProgress | null, void> {
    const { numLayers: L, unembedding, data } = this.setup;
    const d = unembedding.dModel;
    const batcher = new RowBatcher(L, d, this.batchTokens);
    const gradWeight = new Float32Array(L * d * d);
    const gradBias = new Float32Array(L * d);
    const loss = new Float64Array(L);
    const accumulate = async (batch: RowBatch) => {
      if (!this.trainStep) throw new Error('the training run was released');
      const out = await this.trainStep.run(batch.residual, batch.output, this.weight, this.bias);
      const share = batch.tokens / this.tokensPerStep; // a step's gradient is the mean over all its tokens
      for (let i = 0; i < gradWeight.length; i++) gradWeight[i] += share * out.gradWeight[i];
      for (let i = 0; i < gradBias.length; i++) gradBias[i] += share * out.gradBias[i];
      for (let l = 0; l < L; l++) loss[l] += share * out.loss[l];
    };

    while (this.sgd.step < this.steps) {
      gradWeight.fill(0);
      gradBias.fill(0);
      loss.fill(0);
      for (let c = 0; c < this.chunksPerStep; c++) {
        const { value: chunk, done } = await data.next();
        if (done) throw new Error('the training data ended'); // trainingChunks is endless
        const stream = await this.setup.residualStream(chunk.ids); // [L+1, T, d]
        yield null;
        for (const batch of batcher.add(stream)) {
          await accumulate(batch);
          yield null;
        }
      }
      const last = batcher.flush();
      if (last) await accumulate(last);

      const report = this.sgd.update([gradWeight, gradBias]);
      this.tokensDone += this.tokensPerStep;
      const lossPerLayer = Array.from(loss);
      const elapsedSeconds = this.activeMs / 1000;
      const tokensPerSecond = this.tokensDone / Math.max(elapsedSeconds, 1e-9);
      yield {
        step: this.sgd.step,
        steps: this.steps,
        tokensPerStep: this.tokensPerStep,
        tokensPerSecond,
        lossPerLayer,
        meanLoss: lossPerLayer.reduce((a, b) => a + b, 0) / L,
        learningRate: report.learningRate,
        gradNorm: report.gradNorm,
        elapsedSeconds,
        etaSeconds: ((this.steps - this.sgd.step) * this.tokensPerStep) / tokensPerSecond,
      };
    }
  }
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
