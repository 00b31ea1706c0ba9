/**
 * A tuned lens trained at build time on the embedded model: the engine Worker's own LiveTraining
 * (trainer.ts's recipe, data order and seed) run to the end in Node over onnxruntime-node, so the
 * static training figure shows the curves the live figure draws for the same settings. Cached by its
 * inputs, like the trajectories of embedded-model.ts.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { endOfTextId, LiveTraining } from '../engine/live-training.ts';
import type { TrainPlan, TrainStartOptions } from '../engine/protocol.ts';
import type { TrainProgress } from '../lens/train/trainer.ts';
import { buildLens, embeddedModel } from './embedded-model.ts';

export interface BuildTrainingRun {
  /** The plan the live figure's caption describes; the build has no browser backend. */
  plan: Omit<TrainPlan, 'backend'>;
  /** The progress of every step, first to last. */
  history: TrainProgress[];
}

const runs = new Map<string, Promise<BuildTrainingRun>>();

/** A file the site serves (public/), read at build time. */
export function readPublicText(path: string): Promise<string> {
  return readFile(resolve(process.cwd(), 'public', path), 'utf8');
}

/** Trains on `text` with `options` (the Worker's `train-start`) and returns every step's progress. */
export function buildTrainingRun(text: string, options: TrainStartOptions): Promise<BuildTrainingRun> {
  const key = JSON.stringify([text, options]);
  let result = runs.get(key);
  if (!result) {
    result = train(text, options);
    runs.set(key, result);
  }
  return result;
}

async function train(text: string, options: TrainStartOptions): Promise<BuildTrainingRun> {
  const { model, name, numLayers, vocabSize, unembedding } = await embeddedModel();
  const run = await LiveTraining.create({
    ort,
    modelName: name,
    baseModel: name,
    unembedding,
    numLayers,
    nPositions: model.config.nPositions,
    eosId: endOfTextId(model.tokenizer, vocabSize),
    tokenizer: model.tokenizer,
    residualStream: (ids) => model.residualStream(ids),
    init: await buildLens(options.init),
    text,
    options,
  });
  const history: TrainProgress[] = [];
  try {
    while (!run.done) {
      const progress = await run.advance();
      if (progress) history.push(progress);
    }
  } finally {
    await run.release();
  }
  const { steps, tokensPerStep, context, chunksPerStep, batchTokens, textTokens, textChunks } = run;
  return { plan: { steps, tokensPerStep, context, chunksPerStep, batchTokens, textTokens, textChunks, init: options.init }, history };
}
