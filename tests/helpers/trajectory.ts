/**
 * Comparing what a reader would see in a trajectory (top-k, statistics, missing cells) with the
 * reference fixtures, whether it comes from a `PredictionTrajectory` or from the CLI's `--json`.
 */
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { PathSource } from '../../src/node/path-source.ts';
import { LensModel } from '../../src/lens/lens-model.ts';
import { loadModelFiles } from '../../src/lens/model/model-files.ts';
import type { PredictionTrajectory, Statistic } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { fixturePath } from './fixtures.ts';
import { expectClose, expectSameIds, flatten, type Tolerance, type Worst } from './tolerance.ts';
import type { ExpectedLens } from './tiny-gpt2.ts';

/** GPT-2's tokenizer as `npm run prepare-assets` writes it. */
export const GPT2_TOKENIZER_DIR = fileURLToPath(new URL('../../public/tokenizers/gpt2/', import.meta.url));

/** Per-cell statistics: |Δ| ≤ 1e-3 + 1e-3·|expected|. */
export const STATISTICS_TOLERANCE: Tolerance = { abs: 1e-3, rel: 1e-3 };
/** Top-k probabilities: within 1e-4 of exp(expected log-prob), relative. */
export const PROBABILITY_TOLERANCE: Tolerance = { abs: 0, rel: 1e-4 };

/** tests/fixtures/<folder> (tiny-gpt2 or tiny-gpt2-f16) on onnxruntime-node, with GPT-2's tokenizer. */
export async function loadTinyLensModel(folder: string): Promise<LensModel> {
  const files = await loadModelFiles(new PathSource(fixturePath(folder)), { tokenizerFallback: new PathSource(GPT2_TOKENIZER_DIR) });
  return LensModel.create(ort, files);
}

/** The trajectory as the CLI prints it with --json (nested [row][position] arrays, null where missing). */
export interface TrajectoryJson {
  input_ids: number[];
  tokens: string[];
  rows: string[];
  top1_ids: number[][];
  topk_ids: number[][][];
  topk_probs: number[][][];
  entropy: (number | null)[][];
  cross_entropy: (number | null)[][];
  forward_kl: (number | null)[][];
  max_probability: (number | null)[][];
  rank: (number | null)[][];
  prediction_depth?: number[];
}

export const JSON_STATISTICS = ['entropy', 'cross_entropy', 'forward_kl', 'max_probability', 'rank'] as const;
type JsonStatistic = (typeof JSON_STATISTICS)[number];

const STATISTIC_OF: Record<JsonStatistic, Statistic> = {
  entropy: 'entropy',
  cross_entropy: 'crossEntropy',
  forward_kl: 'forwardKl',
  max_probability: 'maxProbability',
  rank: 'rank',
};

/** A trajectory read through its public accessors, in the CLI's JSON shape. */
export function trajectoryAsJson(trajectory: PredictionTrajectory): TrajectoryJson {
  const R = trajectory.rows.length;
  const T = trajectory.numPositions;
  const grid = <V>(f: (r: number, t: number) => V): V[][] => Array.from({ length: R }, (_, r) => Array.from({ length: T }, (_, t) => f(r, t)));
  const json = {
    input_ids: trajectory.inputIds,
    tokens: trajectory.tokens,
    rows: trajectory.rows,
    top1_ids: grid((r, t) => trajectory.topk(r, t)[0].id),
    topk_ids: grid((r, t) => trajectory.topk(r, t).map((e) => e.id)),
    topk_probs: grid((r, t) => trajectory.topk(r, t).map((e) => e.probability)),
  } as TrajectoryJson;
  for (const name of JSON_STATISTICS) json[name] = grid((r, t) => trajectory.statistic(STATISTIC_OF[name], r, t));
  return json;
}

/**
 * Throws (naming the worst cell) unless `got` shows what the reference says: identical top-1 and top-k
 * ids, top-k probabilities and statistics within tolerance, ranks within `rank_tolerance`, and a value
 * missing (null) exactly where the reference has none. Returns the worst difference per quantity.
 */
export function expectTrajectoryMatches(label: string, got: TrajectoryJson, want: ExpectedLens): Record<string, Worst> {
  const R = want.rows.length;
  const T = want.entropy[0].length;
  const k = want.topk_ids[0][0].length;
  if (JSON.stringify(got.rows) !== JSON.stringify(want.rows))
    throw new Error(`${label}: rows ${JSON.stringify(got.rows)}, expected ${JSON.stringify(want.rows)}`);
  const worst: Record<string, Worst> = {};
  expectSameIds(`${label} top1_ids`, flatten(got.top1_ids) as number[], flatten(want.top1_ids), [R, T]);
  expectSameIds(`${label} topk_ids`, flatten(got.topk_ids) as number[], flatten(want.topk_ids), [R, T, k]);
  const probabilities = flatten(want.topk_logprobs).map((x) => (x === null ? null : Math.exp(x)));
  worst.topk_probs = expectClose(`${label} topk_probs`, flatten(got.topk_probs) as number[], probabilities, PROBABILITY_TOLERANCE, [R, T, k]);
  for (const name of JSON_STATISTICS) {
    const actual = flatten(got[name]);
    const expected = flatten(want[name]);
    const missing = actual.findIndex((a, i) => (a === null) !== (expected[i] === null));
    if (missing >= 0) {
      const [r, t] = [Math.floor(missing / T), missing % T];
      throw new Error(
        `${label} ${name}: cell [${r}, ${t}] is ${actual[missing]}, expected ${expected[missing]} (a missing value must be null, never a number)`,
      );
    }
    if (name === 'rank') continue;
    worst[name] = expectClose(`${label} ${name}`, actual as number[], expected, STATISTICS_TOLERANCE, [R, T]);
  }
  const rank = flatten(got.rank);
  const slack = flatten(want.rank_tolerance ?? []);
  flatten(want.rank).forEach((r, i) => {
    if (r === null) return;
    const allowed = slack[i] ?? 0;
    if (Math.abs((rank[i] as number) - r) > allowed) {
      throw new Error(`${label} rank: cell [${Math.floor(i / T)}, ${i % T}] is ${rank[i]}, expected ${r} (± ${allowed})`);
    }
  });
  return worst;
}
