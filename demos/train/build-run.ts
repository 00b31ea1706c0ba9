/**
 * The training figure's run at build time (src/node/embedded-training.ts) for the settings a figure
 * names.
 */
import { buildTrainingRun, readPublicText, type BuildTrainingRun } from '../../src/node/embedded-training.ts';
import { DEFAULT_TRAIN_STATE, SAMPLE, type TrainState } from './train-state.ts';

/**
 * The build's run for a training figure: the figure's settings, on the sample (the build has no text of
 * the reader's), with fewer and smaller steps than the live default — one 256-token chunk of the
 * embedded model each — so that it costs the build seconds, not minutes.
 */
const BUILD_RUN = { source: 'sample', steps: 12, tokensPerStep: 256 } as const;

export async function figureTrainingRun(given: Partial<TrainState>): Promise<BuildTrainingRun & { state: TrainState; text: string }> {
  // The figure's props carry more than its settings (id, caption): take only the settings.
  const chosen = Object.fromEntries(
    Object.keys(DEFAULT_TRAIN_STATE).flatMap((key) => (given[key as keyof TrainState] === undefined ? [] : [[key, given[key as keyof TrainState]]])),
  );
  const state: TrainState = { ...DEFAULT_TRAIN_STATE, ...chosen, ...BUILD_RUN };
  const text = await readPublicText(SAMPLE.path);
  const run = await buildTrainingRun(text, { steps: state.steps, tokensPerStep: state.tokensPerStep, lr: state.lr, init: state.init });
  return { ...run, state, text };
}
