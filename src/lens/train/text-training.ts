/**
 * Training a tuned lens on one text a reader gave, as the page's training figure does live in the
 * engine Worker and the build does for its static figure: the paper's recipe (TRAIN_DEFAULTS) on the
 * one training loop (training-loop.ts), with the reader's choice of steps, tokens per step, learning
 * rate and starting lens. The text is tokenised once and read in whole chunks of the model's context
 * (up to 1,024 tokens), every epoch reshuffled; nothing is held out (the page's heatmap is the
 * evaluation) and nothing is written (the run lives in memory).
 */
import type { LensSession } from '../session.ts';
import type { SessionOptions } from './train-step.ts';
import { TRAIN_DEFAULTS } from './trainer.ts';
import { stepShape, type TrainingLoop } from './training-loop.ts';
import type { TextEncoderLike } from './data.ts';
import { tokensPerRun } from './row-batches.ts';
import { TRAIN_LIMITS, type TextTrainingPlan, type TrainStartOptions } from './train-limits.ts';

/** One [L, N, V] float32 tensor of the train-step graph stays within this (64 MiB; the graph keeps about two). */
const MAX_LOGITS_ELEMENTS = 2 ** 24;

/** The training text cannot make one chunk, or a setting is out of range. */
export class TrainingSetupError extends Error {
  override name = 'TrainingSetupError';
}

/** Checks the settings and the text, then builds the loop (and its train-step graph). */
export async function trainOnText(
  session: LensSession,
  text: string,
  options: TrainStartOptions,
  sessionOptions?: SessionOptions,
): Promise<{ loop: TrainingLoop; plan: TextTrainingPlan }> {
  checkOptions(options);
  const init = session.lenses.get(options.init);
  if (!init) throw new Error(`No lens named '${options.init}' is loaded for ${session.name} to start training from.`);
  const { numLayers: L, vocabSize, nPositions } = session.config;
  const context = Math.min(TRAIN_LIMITS.context, nPositions);
  const batchTokens = Math.min(context, tokensPerRun(L, vocabSize, MAX_LOGITS_ELEMENTS, stepShape(options.tokensPerStep, context).tokensPerStep));

  if (text.trim().length === 0) throw new TrainingSetupError('The training text is empty — paste some text, or train on the bundled sample.');
  if (text.length > TRAIN_LIMITS.textCharacters) {
    throw new TrainingSetupError(
      `The text is ${text.length.toLocaleString('en-US')} characters; the page trains on at most ${TRAIN_LIMITS.textCharacters.toLocaleString('en-US')} — paste a shorter part of it.`,
    );
  }
  const ids = session.tokenizer.encode(text);
  const textChunks = Math.floor((ids.length + 1) / context); // an end-of-text token precedes the document
  if (textChunks === 0) {
    const missing = context - ids.length - 1;
    throw new TrainingSetupError(
      `The text is ${ids.length.toLocaleString('en-US')} tokens, but one training chunk of ${session.name} is ${context} tokens — ` +
        `add at least ${missing.toLocaleString('en-US')} more tokens (about ${(missing * 4).toLocaleString('en-US')} characters of English), or train on the bundled sample.`,
    );
  }
  // The text is tokenised once: every epoch reads the same ids.
  const once: TextEncoderLike = { encode: (t) => (t === text ? ids : session.tokenizer.encode(t)) };
  const data = session.trainingChunks(
    async function* () {
      yield { text, startsDocument: true };
    },
    { context, seed: TRAIN_DEFAULTS.seed, heldOutFraction: 0, shuffleBuffer: TRAIN_DEFAULTS.shuffleBuffer },
    once,
  );
  const loop = await session.train(
    data,
    { ...TRAIN_DEFAULTS, steps: options.steps, tokensPerStep: options.tokensPerStep, lr: options.lr, context, batchTokens },
    { init, sessionOptions },
  );
  const { steps, tokensPerStep, chunksPerStep } = loop;
  return { loop, plan: { steps, tokensPerStep, context, chunksPerStep, batchTokens, textTokens: ids.length, textChunks, init: options.init } };
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
