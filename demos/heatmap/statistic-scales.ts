/**
 * How each quantity a heatmap can show is named, measured and coloured. Dark always means "the lens is
 * sure", "the lens agrees with the model" or "the token is likely", so the heatmaps read the same
 * whichever is shown; the change per layer, which has a sign, is the one diverging scale.
 */
import type { ColorScheme } from '@observablehq/plot';
import { formatChange } from './change-per-layer.ts';
import { STATISTICS, type PredictionTrajectory, type Statistic } from '../../src/lens/trajectory/prediction-trajectory.ts';

/**
 * What a heatmap colours its cells by: one of the lens's statistics, a change per layer (of the
 * output's top-1 log-probability, or the KL between consecutive layers), or a followed token's
 * probability or rank.
 */
export type Quantity = Statistic | 'changePerLayer' | 'consecutiveKl' | 'followProbability' | 'followRank';

/** The quantities the statistic menu offers (a followed token is chosen from a readout instead). */
export type MenuStatistic = Statistic | 'changePerLayer' | 'consecutiveKl';
export const MENU_STATISTICS: readonly MenuStatistic[] = [...STATISTICS, 'changePerLayer', 'consecutiveKl'];

/** The quantities that compare a layer with the one below it, so layer 0 has no value. */
export const LAYER_CHANGES: readonly Quantity[] = ['changePerLayer', 'consecutiveKl'];

/** What a trajectory request must ask for so that `statistic` can be drawn. */
export function statisticRequest(statistic: MenuStatistic): { changePerLayer: boolean; consecutiveKl: boolean } {
  return { changePerLayer: statistic === 'changePerLayer', consecutiveKl: statistic === 'consecutiveKl' };
}

/** URL and JSON names, as the CLI's --json spells them. */
export const MENU_STATISTIC_JSON_NAMES: Record<MenuStatistic, string> = {
  entropy: 'entropy',
  crossEntropy: 'cross_entropy',
  forwardKl: 'forward_kl',
  maxProbability: 'max_probability',
  rank: 'rank',
  changePerLayer: 'change_per_layer',
  consecutiveKl: 'consecutive_kl',
};

export interface StatisticScale {
  label: string;
  /** Shown in the legend and readouts. */
  unit: string;
  description: string;
  type: 'linear' | 'log';
  /** Colour domain for a model with vocabulary V and the observed extremes. */
  domain(vocabSize: number, observedMax: number, observedMin: number): [number, number];
  reverse: boolean;
  /** The Plot colour scheme: 'blues' unless said. */
  scheme?: ColorScheme;
  format(value: number): string;
}

const nats = (v: number) => `${v.toFixed(2)} nats`;

/** Nats from 0 up to the largest value seen (at least 1), darkest at 0. */
const NATS_FROM_ZERO = {
  type: 'linear',
  domain: (_V: number, max: number): [number, number] => [0, Math.max(1, max)],
  reverse: true,
  format: nats,
} as const;

/** A rank, 1 (the top) to V on a log scale, darkest at the top. */
const RANK = {
  type: 'log',
  domain: (V: number): [number, number] => [1, V],
  reverse: true,
  format: (v: number) => `rank ${v.toLocaleString('en')}`,
} as const;

export const STATISTIC_SCALES: Record<Quantity, StatisticScale> = {
  entropy: {
    label: 'Entropy',
    unit: 'nats',
    description: 'how uncertain the lens is: 0 when it is sure of one token, ln V when it is uniform',
    type: 'linear',
    domain: (V) => [0, Math.log(V)],
    reverse: true,
    format: nats,
  },
  crossEntropy: {
    label: 'Cross-entropy',
    unit: 'nats',
    description: 'surprise at the token that actually comes next (−log q of it)',
    ...NATS_FROM_ZERO,
  },
  forwardKl: {
    label: 'Forward KL',
    unit: 'nats',
    description: 'KL(p‖q): how far the lens is from the model’s own output distribution p',
    ...NATS_FROM_ZERO,
  },
  maxProbability: {
    label: 'Max probability',
    unit: 'probability',
    description: 'the probability of the top-1 token',
    type: 'linear',
    domain: () => [0, 1],
    reverse: false,
    format: formatProbability,
  },
  rank: {
    label: 'Rank',
    unit: 'rank of the next token (1 = top)',
    description: 'where the token that actually comes next ranks among the lens’s predictions',
    ...RANK,
  },
  changePerLayer: {
    label: 'Change per layer',
    unit: 'nats',
    description:
      'how much this layer changed the log-probability of the model’s own top-1 token from the layer below (blue: raised it; red: lowered it; layer 0 has no layer below)',
    type: 'linear',
    domain: (_V, max, min) => {
      const m = Math.max(0.5, Math.abs(max), Math.abs(min));
      return [-m, m];
    },
    reverse: false,
    scheme: 'rdbu',
    format: formatChange,
  },
  consecutiveKl: {
    label: 'KL from layer below',
    unit: 'nats',
    description: 'KL(q_ℓ‖q_ℓ₋₁): how far this layer’s distribution moved from the layer below’s (layer 0 has no layer below)',
    type: 'linear',
    domain: (_V, max) => [0, Math.max(1, max)],
    reverse: true,
    format: nats,
  },
  followProbability: {
    label: 'Probability',
    unit: 'probability, log scale',
    description: 'the probability the lens gives the followed token',
    type: 'log',
    domain: (V) => [1 / V, 1],
    reverse: false,
    format: formatProbability,
  },
  followRank: {
    label: 'Rank',
    unit: 'rank, 1 = top',
    description: 'where the followed token ranks among the lens’s predictions',
    ...RANK,
  },
};

/** The value a heatmap shows in cell (row, position), or null where there is none. */
export function quantityValue(trajectory: PredictionTrajectory, quantity: Quantity, row: number, position: number): number | null {
  const cell = row * trajectory.numPositions + position;
  const read = (values: Float32Array | undefined) => (values === undefined || Number.isNaN(values[cell]) ? null : values[cell]);
  switch (quantity) {
    case 'changePerLayer':
      return read(trajectory.changePerLayer);
    case 'consecutiveKl':
      return read(trajectory.consecutiveKl);
    case 'followProbability': {
      const logprob = read(trajectory.followed?.logprob);
      return logprob === null ? null : Math.exp(logprob);
    }
    case 'followRank':
      return read(trajectory.followed?.rank);
    default:
      return trajectory.statistic(quantity, row, position);
  }
}

/** Whether `trajectory` carries what `quantity` needs (a followed token, the change per layer). */
export function hasQuantity(trajectory: PredictionTrajectory, quantity: Quantity): boolean {
  if (quantity === 'changePerLayer') return trajectory.changePerLayer !== undefined;
  if (quantity === 'consecutiveKl') return trajectory.consecutiveKl !== undefined;
  if (quantity === 'followProbability' || quantity === 'followRank') return trajectory.followed !== undefined;
  return true;
}

/** Black or white text, whichever reads better on `background` (a CSS rgb() or #hex colour). */
export function textColorOn(background: string): string {
  const rgb = background.startsWith('#')
    ? [1, 3, 5].map((i) => parseInt(background.slice(i, i + 2), 16))
    : (background.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).slice(0, 3).map(Number);
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return luminance > 0.4 ? '#111' : '#fff';
}

/** Percentages that stay informative for small probabilities: 21.3%, 0.42%, 0.0031%. */
export function formatProbability(p: number): string {
  const percent = 100 * p;
  if (percent >= 10) return `${percent.toFixed(1)}%`;
  if (percent === 0) return '0%';
  if (percent < 0.01) return '<0.01%';
  return `${percent.toPrecision(2)}%`;
}
