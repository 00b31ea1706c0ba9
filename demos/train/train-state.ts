/**
 * The training figure's settings and their encoding in the page URL (`?<figure id>=steps=…&tokens=…`),
 * like the heatmap's: a copied link reopens the figure with the same settings. The reader's own
 * text is never put in the URL. Malformed values fall back to the figure's defaults.
 */
import { TRAIN_LIMITS } from '../../src/engine/protocol.ts';

export type TextSource = 'sample' | 'own';

export interface TrainState {
  source: TextSource;
  steps: number;
  /** Rounded up to whole chunks of the model's context by the engine. */
  tokensPerStep: number;
  /** The paper's learning rate: 1.0, i.e. SGD's 0.1 at momentum 0.9. */
  lr: number;
  /** The lens to start from: "logit" (zero translators) or "tuned" (the model's own). */
  init: string;
  yScale: 'log' | 'linear';
}

/** A page-sized run: a step of 1,024 tokens takes about a second on the embedded model on WASM. */
export const DEFAULT_TRAIN_STATE: TrainState = {
  source: 'sample',
  steps: 50,
  tokensPerStep: 1024,
  lr: 1.0,
  init: 'logit',
  yScale: 'log',
};

/** The bundled training text: public-domain Shakespeare, served with the site. */
export const SAMPLE = {
  path: 'train-sample.txt',
  title: 'Romeo and Juliet, from the balcony scene (act 2)',
};

export function encodeTrainState(state: TrainState): string {
  return new URLSearchParams({
    text: state.source,
    steps: String(state.steps),
    tokens: String(state.tokensPerStep),
    lr: String(state.lr),
    init: state.init,
    y: state.yScale,
  }).toString();
}

export function decodeTrainState(encoded: string | null, defaults: TrainState): TrainState {
  if (!encoded) return defaults;
  const params = new URLSearchParams(encoded);
  const number = (key: string, fallback: number, ok: (n: number) => boolean) => {
    const value = params.get(key);
    const n = value === null || value === '' ? NaN : Number(value);
    return ok(n) ? n : fallback;
  };
  const wholeUpTo = (max: number) => (n: number) => Number.isInteger(n) && n >= 1 && n <= max;
  const text = params.get('text');
  const y = params.get('y');
  return {
    source: text === 'own' || text === 'sample' ? text : defaults.source,
    steps: number('steps', defaults.steps, wholeUpTo(TRAIN_LIMITS.steps)),
    tokensPerStep: number('tokens', defaults.tokensPerStep, wholeUpTo(TRAIN_LIMITS.tokensPerStep)),
    lr: number('lr', defaults.lr, (n) => Number.isFinite(n) && n >= 0 && n <= TRAIN_LIMITS.lr),
    init: params.get('init') || defaults.init,
    yScale: y === 'linear' || y === 'log' ? y : defaults.yScale,
  };
}

let sample: Promise<string> | null = null;

/** The bundled sample, fetched once per page. */
export function fetchSample(): Promise<string> {
  sample ??= fetch(new URL(SAMPLE.path, new URL(import.meta.env.BASE_URL, location.href))).then(async (response) => {
    if (!response.ok)
      throw new Error(`Could not fetch the bundled sample (${SAMPLE.path}: HTTP ${response.status}) — reload the page, or paste your own text.`);
    return response.text();
  });
  sample.catch(() => (sample = null)); // a failed fetch is tried again next time
  return sample;
}
