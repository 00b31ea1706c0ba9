/**
 * What a reader may ask of a training run on a page (text-training.ts), in a module of its own with
 * no imports, so the page's islands read the limits without loading the training code.
 */

/** What the reader chose; everything else is the paper's recipe (TRAIN_DEFAULTS). */
export interface TrainStartOptions {
  steps: number;
  /** Rounded up to whole chunks of the model's context. */
  tokensPerStep: number;
  /** The paper's learning rate (1.0); SGD's step size is lr·(1 − momentum). */
  lr: number;
  /** The lens whose translators training starts from: "logit" for zero translators, "tuned" for the model's own. */
  init: string;
}

/** What a page may ask of one run (the Worker refuses more, with a message that says so). */
export const TRAIN_LIMITS = {
  /** Tokens per training chunk: the model's context, up to GPT-2's 1,024 (trainer.ts's default). */
  context: 1024,
  steps: 10_000,
  tokensPerStep: 2 ** 18,
  lr: 100,
  /** Tokenising is plain JavaScript in the Worker: a few MB take seconds. */
  textCharacters: 4_000_000,
} as const;

/** How a run was set up, once the text is tokenised and the train-step graph built. */
export interface TextTrainingPlan {
  steps: number;
  tokensPerStep: number;
  context: number;
  chunksPerStep: number;
  /** Positions per train-step graph run. */
  batchTokens: number;
  /** Tokens in the training text, and the whole chunks they make. */
  textTokens: number;
  textChunks: number;
  init: string;
}
