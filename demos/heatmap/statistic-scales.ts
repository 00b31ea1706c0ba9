/**
 * How each statistic is named, measured and coloured. Dark always means "the lens is sure" or
 * "the lens agrees with the model", so the heatmaps read the same whichever statistic is shown.
 */
import type { Statistic } from '../../src/lens/trajectory/prediction-trajectory.ts';

export interface StatisticScale {
  label: string;
  /** Shown in the legend and readouts. */
  unit: string;
  description: string;
  type: 'linear' | 'log';
  /** Colour domain for a model with vocabulary V and the observed maximum. */
  domain(vocabSize: number, observedMax: number): [number, number];
  reverse: boolean;
  format(value: number): string;
}

const nats = (v: number) => `${v.toFixed(2)} nats`;

export const STATISTIC_SCALES: Record<Statistic, StatisticScale> = {
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
    type: 'linear',
    domain: (_V, max) => [0, Math.max(1, max)],
    reverse: true,
    format: nats,
  },
  forwardKl: {
    label: 'Forward KL',
    unit: 'nats',
    description: 'KL(p‖q): how far the lens is from the model’s own output distribution p',
    type: 'linear',
    domain: (_V, max) => [0, Math.max(1, max)],
    reverse: true,
    format: nats,
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
    type: 'log',
    domain: (V) => [1, V],
    reverse: true,
    format: (v) => `rank ${v.toLocaleString('en')}`,
  },
};

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
