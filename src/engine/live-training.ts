/**
 * The tuned lens trained live in the engine Worker: the paper's recipe (architecture.md §3 (Training)) exactly as
 * src/lens/train/trainer.ts runs it — the same chunking, row batches, train-step graph, gradient
 * weighting and SGD — but cut into small pieces so that the Worker's serial queue can serve the
 * page's other requests in between. `advance()` does one graph run (a chunk's residual stream, or
 * one train-step batch) and returns the step's progress when it finishes an optimiser step.
 *
 * Unlike `trainTunedLens`, which runs to completion: the translators may start from any loaded lens
 * (zero = the logit lens, or the model's shipped lens); pausing is simply not calling `advance()`,
 * so a paused run continues exactly where it stopped; the run lives in memory (no checkpoint files)
 * and holds no split out (the page's heatmap is the evaluation); the text is tokenised once.
 */
import type { Lens, TunedLens } from '../lens/lens/tuned-lens.ts';
import type { Ort } from '../lens/lens-model.ts';
import type { Tensor32 } from '../lens/tensor.ts';
import { trainingChunks, type TextEncoderLike, type TokenChunk } from '../lens/train/data.ts';
import { lensFiles, trainedLens } from '../lens/train/lens-files.ts';
import { RowBatcher, tokensPerRun, type RowBatch } from '../lens/train/row-batches.ts';
import { paperLearningRate, SGD } from '../lens/train/sgd.ts';
import { TRAIN_DEFAULTS, type TrainProgress } from '../lens/train/trainer.ts';
import { TrainStep, type SessionOptions } from '../lens/train/train-step.ts';
import type { Unembedding } from '../lens/train/unembedding.ts';
import { TRAIN_LIMITS, type TrainStartOptions } from './protocol.ts';

/** One [L, N, V] float32 tensor of the train-step graph stays within this (64 MiB; the graph keeps about two). */
const MAX_LOGITS_ELEMENTS = 2 ** 24;

/** The training text cannot make one chunk, or a setting is out of range. */
export class TrainingSetupError extends Error {
  override name = 'TrainingSetupError';
}

export interface LiveTrainingSetup {
  ort: Ort;
  /** The model's name as readers see it, for messages. */
  modelName: string;
  /** `base_model_name_or_path` of the lens files. */
  baseModel: string;
  unembedding: Unembedding;
  numLayers: number;
  nPositions: number;
  eosId: number;
  tokenizer: TextEncoderLike;
  /** [L+1, T, d] for T ids: LensModel.residualStream. */
  residualStream(ids: number[]): Promise<Tensor32>;
  /** The translators to start from (copied). */
  init: Lens;
  text: string;
  options: TrainStartOptions;
  sessionOptions?: SessionOptions;
}

export class LiveTraining {
  readonly steps: number;
  readonly tokensPerStep: number;
  readonly context: number;
  readonly chunksPerStep: number;
  readonly batchTokens: number;
  readonly textTokens: number;
  readonly textChunks: number;
  private readonly weight: Float32Array; // [L, d, d]
  private readonly bias: Float32Array; // [L, d]
  private readonly sgd: SGD;
  private readonly data: AsyncGenerator<TokenChunk>;
  private readonly work: AsyncGenerator<TrainProgress | null, void>;
  private trainStep: TrainStep | null = null;
  private activeMs = 0;
  private tokensDone = 0;

  private constructor(private readonly setup: LiveTrainingSetup) {
    const { options, unembedding: u, numLayers: L, text, tokenizer, nPositions } = setup;
    checkOptions(options);
    this.steps = options.steps;
    this.context = Math.min(TRAIN_LIMITS.context, nPositions);
    this.chunksPerStep = Math.ceil(options.tokensPerStep / this.context);
    this.tokensPerStep = this.chunksPerStep * this.context;
    this.batchTokens = Math.min(this.context, tokensPerRun(L, u.vocabSize, MAX_LOGITS_ELEMENTS, this.tokensPerStep));

    if (text.trim().length === 0) throw new TrainingSetupError('The training text is empty — paste some text, or train on the bundled sample.');
    if (text.length > TRAIN_LIMITS.textCharacters) {
      throw new TrainingSetupError(
        `The text is ${text.length.toLocaleString('en-US')} characters; the page trains on at most ${TRAIN_LIMITS.textCharacters.toLocaleString('en-US')} — paste a shorter part of it.`,
      );
    }
    const ids = tokenizer.encode(text);
    this.textTokens = ids.length;
    this.textChunks = Math.floor((ids.length + 1) / this.context); // an end-of-text token precedes the document
    if (this.textChunks === 0) {
      const missing = this.context - ids.length - 1;
      throw new TrainingSetupError(
        `The text is ${ids.length.toLocaleString('en-US')} tokens, but one training chunk of ${setup.modelName} is ${this.context} tokens — ` +
          `add at least ${missing.toLocaleString('en-US')} more tokens (about ${(missing * 4).toLocaleString('en-US')} characters of English), or train on the bundled sample.`,
      );
    }
    // The text is tokenised once: every epoch reads the same ids.
    const once: TextEncoderLike = { encode: (t) => (t === text ? ids : tokenizer.encode(t)) };
    this.data = trainingChunks(() => single(text), once, {
      context: this.context,
      eosId: setup.eosId,
      seed: TRAIN_DEFAULTS.seed,
      heldOutFraction: 0,
      shuffleBuffer: TRAIN_DEFAULTS.shuffleBuffer,
    });

    this.weight = Float32Array.from(setup.init.translatorWeight);
    this.bias = Float32Array.from(setup.init.translatorBias);
    this.sgd = new SGD([this.weight, this.bias], {
      learningRate: paperLearningRate(options.lr, TRAIN_DEFAULTS.momentum),
      momentum: TRAIN_DEFAULTS.momentum,
      weightDecay: TRAIN_DEFAULTS.weightDecay,
      clip: TRAIN_DEFAULTS.clip,
      nesterov: true,
      steps: options.steps,
      warmupSteps: TRAIN_DEFAULTS.warmupSteps,
    });
    this.work = this.run();
  }

  /** Checks the settings and the text, then builds the train-step graph. */
  static async create(setup: LiveTrainingSetup): Promise<LiveTraining> {
    const training = new LiveTraining(setup);
    training.trainStep = await TrainStep.create(setup.ort, setup.unembedding, setup.sessionOptions);
    return training;
  }

  /** Completed optimiser steps. */
  get step(): number {
    return this.sgd.step;
  }

  get done(): boolean {
    return this.sgd.step >= this.steps;
  }

  /** Tokens per second of training work so far. */
  get tokensPerSecond(): number {
    return this.tokensDone / Math.max(this.activeMs / 1000, 1e-9);
  }

  get seconds(): number {
    return this.activeMs / 1000;
  }

  /**
   * One graph run. Returns the step's progress when this run finished an optimiser step, else null.
   */
  async advance(): Promise<TrainProgress | null> {
    const start = performance.now();
    try {
      const { value } = await this.work.next();
      return value ?? null;
    } finally {
      this.activeMs += performance.now() - start;
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
    await this.data.return(undefined);
    await this.trainStep?.release();
    this.trainStep = null;
  }

  /** trainer.ts's loop, yielding after every graph run. */
  private async *run(): AsyncGenerator<TrainProgress | null, void> {
    const { numLayers: L, unembedding } = this.setup;
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
        const { value: chunk, done } = await this.data.next();
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

/** The id joined between documents: the tokenizer's `<|endoftext|>`, or (as GPT-2 places it) the vocabulary's last. */
export function endOfTextId(tokenizer: TextEncoderLike, vocabSize: number): number {
  const eos = tokenizer.encode('<|endoftext|>');
  return eos.length === 1 ? eos[0] : vocabSize - 1;
}

async function* single(text: string) {
  yield { text, startsDocument: true };
}

function checkOptions(options: TrainStartOptions): void {
  const wholeNumber = (name: string, value: number, max: number) => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new TrainingSetupError(`${name} must be a whole number from 1 to ${max.toLocaleString('en-US')}, not ${String(value)}.`);
    }
  };
  wholeNumber('Steps', options.steps, TRAIN_LIMITS.steps);
  wholeNumber('Tokens per step', options.tokensPerStep, TRAIN_LIMITS.tokensPerStep);
  if (!(Number.isFinite(options.lr) && options.lr >= 0 && options.lr <= TRAIN_LIMITS.lr)) {
    throw new TrainingSetupError(`The learning rate must be a number from 0 to ${TRAIN_LIMITS.lr} (the paper uses 1.0), not ${String(options.lr)}.`);
  }
}
