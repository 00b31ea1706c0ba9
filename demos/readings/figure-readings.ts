/**
 * The default prompts of the chapters' figures, and the reading each figure gets, in one place: the
 * chapters pass these to the figure and to its Reading, and the readings test checks each reading
 * against the data of the same prompt. A figure whose prompt changes here changes everywhere.
 */
import { DEFAULT_CURVES_TEXT } from '../curves/CurvesView.tsx';
import { SEED_PROMPT } from '../heatmap/heatmap-state.ts';

export const FIGURE_TEXT = {
  seed: SEED_PROMPT,
  verse: 'In the beginning God created the heaven and the earth.',
  echo: 'the cat sat on the mat because the mat was warm',
  drift: 'In 1969, Neil Armstrong became the first person to walk on the Moon. The first person to walk on the Moon was Neil Armstrong.',
  compare: 'When Mary and John went to the store, John gave a drink to Mary',
  curves: DEFAULT_CURVES_TEXT,
} as const;

export const READINGS = {
  'fig-seed-heatmap': { figure: 'fig-seed-heatmap', of: 'copy', text: FIGURE_TEXT.seed, start: -10 },
  'fig-logit-rank': { figure: 'fig-logit-rank', of: 'column', text: FIGURE_TEXT.verse, token: ' the' },
  'fig-logit-echo': { figure: 'fig-logit-echo', of: 'echo', text: FIGURE_TEXT.echo, lead: 'logit' },
  'fig-logit-sublayers': { figure: 'fig-logit-sublayers', of: 'sublayers', text: FIGURE_TEXT.echo, start: 0 },
  'fig-logit-drift': { figure: 'fig-logit-drift', of: 'drift', text: FIGURE_TEXT.drift, start: -10 },
  'fig-translators': { figure: 'fig-translators', of: 'translators' },
  'fig-tuned-echo': { figure: 'fig-tuned-echo', of: 'echo', text: FIGURE_TEXT.echo, lead: 'tuned' },
  'fig-compare': { figure: 'fig-compare', of: 'column', text: FIGURE_TEXT.compare, token: ' to' },
  'fig-curves': { figure: 'fig-curves', of: 'curves', text: FIGURE_TEXT.curves },
  'fig-layer-transfer': { figure: 'fig-layer-transfer', of: 'transfer', text: FIGURE_TEXT.drift },
} as const;
