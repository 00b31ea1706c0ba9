/**
 * A tuned lens trained at build time on the embedded model: the engine Worker's own run
 * (text-training.ts on the one training loop, trainer.ts's recipe, data order and seed) driven to
 * the end in Node over onnxruntime-node, so the static training figure shows the curves the live
 * figure draws for the same settings. Cached by its inputs, like the trajectories of embedded-model.ts.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { trainOnText } from '../lens/train/text-training.ts';
import type { TextTrainingPlan, TrainStartOptions } from '../lens/train/train-limits.ts';
import type { TrainProgress } from '../lens/train/training-loop.ts';
import { embeddedModel } from './embedded-model.ts';

export interface BuildTrainingRun {
  /** The plan the live figure's caption describes; the build has no browser backend. */
  plan: TextTrainingPlan;
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
  const { loop, plan } = await trainOnText(await embeddedModel(), text, options);
  const history: TrainProgress[] = [];
  try {
    while (!loop.done) {
      const progress = await loop.advance();
      if (progress) history.push(progress);
    }
  } finally {
    await loop.release();
  }
  return { plan, history };
}
