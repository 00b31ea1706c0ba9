/**
 * `lens train`'s run of the one training loop (training-loop.ts): the paper's recipe over a corpus,
 * with a held-out split, from zero translators (the logit lens). It runs anywhere src/lens runs —
 * Node or a browser Worker: the text and file storage come in as functions (`corpus`, `save`/`load`).
 * Every `checkpointEvery` steps it saves `checkpoint.safetensors` (translators, momentum, step, data
 * position); with `resume` it continues from there and finishes exactly as an uninterrupted run
 * would. An aborted `signal` stops it between graph runs: the unfinished step is dropped and the
 * finished ones are saved. When the run completes it saves the lens (config.json, params.pt,
 * params.safetensors).
 */
import { ModelMismatchError } from '../errors.ts';
import type { TunedLens } from '../lens/tuned-lens.ts';
import type { LensSession } from '../session.ts';
import { CHECKPOINT_FILE, decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';
import { DATA_DEFAULTS, type Corpus, type TokenChunk } from './data.ts';
import { stepShape, type LoopSettings, type TrainProgress } from './training-loop.ts';
import type { SessionOptions } from './train-step.ts';

export type { TrainProgress };

export interface TrainOptions extends LoopSettings {
  /** Shuffle and held-out split seed (42). */
  seed: number;
  heldOutFraction: number;
  shuffleBuffer: number;
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

export interface TrainRun {
  /** The model the lens is trained for. */
  session: LensSession;
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
type RunSettings = { baseModel: string; data: string | null; numLayers: number; dModel: number } & Omit<
  TrainOptions,
  'batchTokens' | 'maxLogitsElements' | 'checkpointEvery'
>;

export class ResumeError extends Error {
  override name = 'ResumeError';
}

export async function trainTunedLens(run: TrainRun, partial: Partial<TrainOptions> = {}): Promise<TrainResult> {
  const options: TrainOptions = { ...TRAIN_DEFAULTS, ...partial };
  const { session } = run;
  const { numLayers: L, dModel: d } = session.config;
  validate(options, run);
  const notice = run.onNotice ?? (() => undefined);

  const { chunksPerStep, tokensPerStep } = stepShape(options.tokensPerStep, options.context);
  if (tokensPerStep !== options.tokensPerStep) {
    notice(`tokens per step: ${options.tokensPerStep} rounded up to ${tokensPerStep} (${chunksPerStep} chunks of ${options.context})`);
  }

  const settings: RunSettings = {
    baseModel: session.baseModel,
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

  const saved = await run.load(CHECKPOINT_FILE);
  if (saved && !run.resume) {
    throw new ResumeError(`${CHECKPOINT_FILE}: the output already holds a checkpoint of an earlier run — resume it (--resume) or choose another output`);
  }
  const checkpoint = saved ? decodeCheckpoint<RunSettings>(saved) : undefined;
  if (checkpoint) {
    const changed = Object.keys(settings).filter(
      (k) => JSON.stringify(checkpoint.run[k as keyof RunSettings]) !== JSON.stringify(settings[k as keyof RunSettings]),
    );
    if (changed.length > 0) {
      const was = changed.map((k) => `${k} ${JSON.stringify(checkpoint.run[k as keyof RunSettings])} → ${JSON.stringify(settings[k as keyof RunSettings])}`);
      throw new ResumeError(
        `${CHECKPOINT_FILE}: cannot resume with different settings (${was.join(', ')}) — use the original ones, or start a new run in another output`,
      );
    }
    if (checkpoint.numLayers !== L || checkpoint.dModel !== d) {
      throw new ModelMismatchError(
        `${CHECKPOINT_FILE}: translators for ${checkpoint.numLayers} layers of width ${checkpoint.dModel}, but the model has ${L} of ${d}`,
      );
    }
    notice(`resuming after step ${checkpoint.step} of ${options.steps} (${checkpoint.chunksConsumed} chunks read)`);
  } else if (run.resume) {
    notice(`no ${CHECKPOINT_FILE} to resume from: starting at step 0`);
  }

  let chunksConsumed = checkpoint?.chunksConsumed ?? 0;
  const data = session.trainingChunks(run.corpus, options);
  for (let skipped = 0; skipped < chunksConsumed; skipped++) await next(data);
  const loop = await session.train(data, options, { sessionOptions: run.sessionOptions });
  if (checkpoint) {
    loop.weight.set(checkpoint.weight);
    loop.bias.set(checkpoint.bias);
    loop.sgd.load({ step: checkpoint.step, momentum: [checkpoint.momentumWeight, checkpoint.momentumBias] });
  }
  const saveCheckpoint = () =>
    run.save(
      CHECKPOINT_FILE,
      encodeCheckpoint({
        step: loop.step,
        chunksConsumed,
        run: settings,
        numLayers: L,
        dModel: d,
        weight: loop.weight,
        bias: loop.bias,
        momentumWeight: loop.sgd.momentum[0],
        momentumBias: loop.sgd.momentum[1],
      }),
    );
  const history: TrainProgress[] = [];
  let lastSaved = loop.step;
  try {
    while (!loop.done && !run.signal?.aborted) {
      const progress = await loop.advance();
      if (!progress) continue;
      chunksConsumed += chunksPerStep;
      if (loop.step % options.checkpointEvery === 0 || loop.step === options.steps) {
        await saveCheckpoint();
        lastSaved = loop.step;
      }
      history.push(progress);
      run.onProgress?.(progress);
    }
    if (loop.step !== lastSaved) await saveCheckpoint(); // stopped between checkpoints: keep the finished steps
  } finally {
    await loop.release();
  }

  const completed = loop.done;
  if (completed) for (const [name, bytes] of loop.files()) await run.save(name, bytes);
  return { lens: loop.snapshot(), step: loop.step, completed, history, chunksPerStep, batchTokens: loop.batchTokens };
}

async function next(data: AsyncGenerator<TokenChunk>): Promise<TokenChunk> {
  const { value, done } = await data.next();
  if (done) throw new Error('the training data ended'); // trainingChunks is endless; this is a bug if reached
  return value;
}

function validate(options: TrainOptions, run: TrainRun): void {
  const positiveInteger = (name: keyof TrainOptions) => {
    const v = options[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, not ${String(v)}`);
  };
  for (const name of ['steps', 'tokensPerStep', 'context', 'shuffleBuffer', 'checkpointEvery', 'maxLogitsElements'] as const) positiveInteger(name);
  if (options.batchTokens !== undefined) positiveInteger('batchTokens');
  if (options.context > run.session.config.nPositions) {
    throw new RangeError(
      `context ${options.context} is longer than ${run.session.baseModel}'s n_positions ${run.session.config.nPositions} — use --context ${run.session.config.nPositions} or less`,
    );
  }
  if (options.context < 2) throw new RangeError('context must be at least 2 tokens');
  if (!(options.heldOutFraction >= 0 && options.heldOutFraction < 1)) throw new RangeError(`heldOutFraction must be in [0, 1), not ${options.heldOutFraction}`);
  if (!(options.lr >= 0)) throw new RangeError(`lr must be ≥ 0, not ${options.lr}`);
}
