/**
 * What each figure's default view shows, in words: pure functions from the data a figure draws (its
 * trajectories, its per-layer curves, its translators' statistics) to the facts a reader should see
 * there and one sentence that states them. The chapters render these sentences at build time from
 * the embedded model (Reading.astro), so the prose beside a figure is recomputed whenever the model
 * or its lens changes and can never describe a model the page no longer ships.
 *
 * Each function returns its facts as plain data beside the sentence, so a test can check every
 * fact against the same trajectories independently (tests/unit/figure-readings.test.ts).
 */
import type { TranslatorStats } from '../../src/lens/lens/translator-stats.ts';
import { afterAttentionRow, isAfterAttentionRow, type PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import type { LayerPoint } from '../curves/curves-data.ts';

export interface Reading<F> {
  facts: F;
  text: string;
}

/** A token as the heatmap writes it, in quotation marks. */
export function quoted(token: string): string {
  return `“${formatToken(token, { maxLength: 24 })}”`;
}

/** The top-1 token id a trajectory reads at (row, position). */
function top1(trajectory: PredictionTrajectory, row: number, position: number): number {
  return trajectory.topkIds[(row * trajectory.numPositions + position) * trajectory.k];
}

function layerRows(trajectory: PredictionTrajectory): number[] {
  return trajectory.rows.map((_, r) => r).filter((r) => trajectory.rows[r] !== 'output');
}

function outputRow(trajectory: PredictionTrajectory): number {
  return trajectory.rows.indexOf('output');
}

/**
 * The first layer from which `holds` is true at that layer and every layer above it (the output row
 * excluded), or null when it fails at the last layer. This is prediction depth's "from here on".
 */
export function firstLayerFromWhichOn(trajectory: PredictionTrajectory, holds: (row: number) => boolean): number | null {
  const layers = layerRows(trajectory);
  let first: number | null = null;
  for (let i = layers.length - 1; i >= 0 && holds(layers[i]); i--) first = layers[i];
  return first === null ? null : Number(trajectory.rows[first]);
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const lensName = { logit: 'the logit lens', tuned: 'the tuned lens' } as const;
type LensKey = keyof typeof lensName;

function fromLayer(layer: number | null, lens: LensKey): string {
  if (layer === null) return `${lensName[lens]} at no layer below the output`;
  return layer === 0 ? `${lensName[lens]} from the embeddings (layer 0) on` : `${lensName[lens]} from layer ${layer} on`;
}

// ——— The seed heatmap: copying in the second copy ———

export interface CopyFacts {
  /** Positions shown by the figure's default view, [from, to). */
  shown: [number, number];
  /** Shown positions whose next token can be copied: the same token appeared earlier followed by it. */
  copyable: number[];
  /** How many of them the model's output predicts (top-1 = the next token). */
  outputCorrect: number;
  /** Per lens, the first layer from which the lens's top-1 is the next token at more than half the copyable positions. */
  firstMajorityLayer: Partial<Record<LensKey, number | null>>;
}

/** Positions t whose next token x_{t+1} also followed an earlier occurrence of x_t: induction can copy it. */
export function copyablePositions(ids: number[], from = 0, to = ids.length): number[] {
  const out: number[] = [];
  for (let t = Math.max(from, 1); t < Math.min(to, ids.length - 1); t++) {
    for (let s = 0; s < t; s++) {
      if (ids[s] === ids[t] && ids[s + 1] === ids[t + 1]) {
        out.push(t);
        break;
      }
    }
  }
  return out;
}

export function copyReading(lenses: Partial<Record<LensKey, PredictionTrajectory>>, shown: [number, number]): Reading<CopyFacts> {
  const any = (lenses.tuned ?? lenses.logit)!;
  const ids = any.inputIds;
  const copyable = copyablePositions(ids, shown[0], shown[1]);
  const out = outputRow(any);
  const outputCorrect = copyable.filter((t) => top1(any, out, t) === ids[t + 1]).length;
  const firstMajorityLayer: CopyFacts['firstMajorityLayer'] = {};
  for (const key of ['tuned', 'logit'] as const) {
    const trajectory = lenses[key];
    if (!trajectory || copyable.length === 0) continue;
    firstMajorityLayer[key] = firstLayerFromWhichOn(
      trajectory,
      (r) => 2 * copyable.filter((t) => top1(trajectory, r, t) === ids[t + 1]).length > copyable.length,
    );
  }
  const facts = { shown, copyable, outputCorrect, firstMajorityLayer };
  const columns = shown[1] - shown[0];
  if (copyable.length === 0)
    return {
      facts,
      text: `None of the ${columns} columns shown has a next token that appeared earlier after the same token, so there is nothing to copy here.`,
    };
  const lensParts = (['tuned', 'logit'] as const)
    .filter((key) => key in firstMajorityLayer)
    .map((key) => fromLayer(firstMajorityLayer[key]!, key).replace(/^the/, 'through the'));
  const model =
    2 * outputCorrect > copyable.length
      ? `the model’s output predicts it in ${outputCorrect} of them`
      : `the model’s output predicts it in only ${outputCorrect} of them, so this model does not copy reliably here`;
  const layers = Object.values(firstMajorityLayer);
  const read = !lensParts.length
    ? ''
    : layers.every((l) => l === null)
      ? ' Neither lens has the copied token as its top guess at most of those columns at any layer below the output.'
      : ` The copied token is the top guess at most of those columns ${lensParts.join('; ')}.`;
  return {
    facts,
    text: `In the ${columns} columns shown, ${count(copyable.length, 'column has', 'columns have')} a next token that can be copied from earlier in the prompt, and ${model}.${read}`,
  };
}

// ——— One column: from which layer is the true next token the top guess? ———

export interface ColumnFacts {
  position: number;
  /** The token in the column, and the one that comes next. */
  token: string;
  next: string;
  /** The output's rank of the next token (1 = its top guess). */
  outputRank: number;
  /** The output's top guess. */
  outputTop: string;
  /** Per lens, the first layer from which the next token stays ranked first. */
  firstTopLayer: Partial<Record<LensKey, number | null>>;
}

/** The last position whose token's text is `token` (e.g. " the"), or −1. */
export function lastPositionOf(trajectory: PredictionTrajectory, token: string): number {
  return trajectory.tokens.lastIndexOf(token);
}

export function columnReading(lenses: Partial<Record<LensKey, PredictionTrajectory>>, position: number): Reading<ColumnFacts> {
  const any = (lenses.tuned ?? lenses.logit)!;
  const out = outputRow(any);
  const outputRank = any.statistic('rank', out, position) ?? NaN;
  const at = (out * any.numPositions + position) * any.k;
  const firstTopLayer: ColumnFacts['firstTopLayer'] = {};
  for (const key of ['tuned', 'logit'] as const) {
    const trajectory = lenses[key];
    if (trajectory) firstTopLayer[key] = firstLayerFromWhichOn(trajectory, (r) => trajectory.statistic('rank', r, position) === 1);
  }
  const facts: ColumnFacts = {
    position,
    token: any.tokens[position],
    next: any.tokens[position + 1],
    outputRank,
    outputTop: any.topkTokens[at],
    firstTopLayer,
  };
  const where = `In the column of the last ${quoted(facts.token)} (position ${position + 1}), the token that comes next is ${quoted(facts.next)}`;
  const model =
    outputRank === 1
      ? 'and the model’s output ranks it first'
      : `but the model’s output ranks it ${ordinal(outputRank)} and guesses ${quoted(facts.outputTop)} instead`;
  const lensParts = (['tuned', 'logit'] as const).filter((key) => key in firstTopLayer).map((key) => fromLayer(firstTopLayer[key]!, key));
  const read = outputRank === 1 ? ` It is the top guess of ${lensParts.join(', and of ')}.` : '';
  return { facts, text: `${where}, ${model}.${read}` };
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `${n.toLocaleString('en-US')}${suffix}`;
}

// ——— Layer 0: the echo of the input token ———

export interface EchoFacts {
  columns: number;
  /** Per lens, the columns whose layer-0 top guess is the input token itself. */
  echoes: Partial<Record<LensKey, number>>;
  /** Per lens, the columns whose layer-0 top guess is the token that actually comes next. */
  nextAtLayer0: Partial<Record<LensKey, number>>;
}

export function echoReading(lenses: Partial<Record<LensKey, PredictionTrajectory>>, lead: LensKey): Reading<EchoFacts> {
  const any = (lenses[lead] ?? lenses.logit)!;
  const T = any.numPositions;
  const echoes: EchoFacts['echoes'] = {};
  const nextAtLayer0: EchoFacts['nextAtLayer0'] = {};
  for (const key of ['logit', 'tuned'] as const) {
    const trajectory = lenses[key];
    if (!trajectory) continue;
    let echo = 0;
    let next = 0;
    for (let t = 0; t < T; t++) {
      if (top1(trajectory, 0, t) === trajectory.inputIds[t]) echo++;
      if (t + 1 < T && top1(trajectory, 0, t) === trajectory.inputIds[t + 1]) next++;
    }
    echoes[key] = echo;
    nextAtLayer0[key] = next;
  }
  const facts = { columns: T, echoes, nextAtLayer0 };
  const other: LensKey = lead === 'logit' ? 'tuned' : 'logit';
  const lensPart = (key: LensKey) =>
    `${lensName[key]}’s layer-0 guess is the input token itself in ${echoes[key]} of the ${T} columns and the next token in ${nextAtLayer0[key]}`;
  const text = other in echoes ? `Here ${lensPart(lead)}; ${lensPart(other)}.` : `Here ${lensPart(lead)}.`;
  return { facts, text };
}

// ——— Sub-layer rows: the stream between a block's attention and its MLP ———

export interface SublayerFacts {
  shown: [number, number];
  /** Shown columns whose top-1 is the input token itself at layer 0, after block 0's attention, and at layer 1 (after its MLP). */
  echoes: { layer0: number; afterAttention0: number; layer1: number };
  /** Mean KL(p‖q) over the shown columns, per row of the trajectory (layers and sub-layer rows, bottom up). */
  meanKl: number[];
  /** Summed over blocks, how much each kind of sub-layer lowers the mean KL (negative: raises it). */
  attentionDrop: number;
  mlpDrop: number;
}

/** `trajectory`: the logit lens with sub-layer rows ("0", "0 · after attention", "1", …, "output"). */
export function sublayerReading(trajectory: PredictionTrajectory, shown: [number, number]): Reading<SublayerFacts> {
  const positions = Array.from({ length: shown[1] - shown[0] }, (_, i) => shown[0] + i);
  const row = (label: string) => {
    const r = trajectory.rows.indexOf(label);
    if (r < 0) throw new Error(`sublayerReading: the trajectory has no row "${label}"`);
    return r;
  };
  const echoesAt = (r: number) => positions.filter((t) => top1(trajectory, r, t) === trajectory.inputIds[t]).length;
  const meanKl = trajectory.rows.map((_, r) => positions.reduce((sum, t) => sum + (trajectory.statistic('forwardKl', r, t) ?? 0), 0) / positions.length);
  let attentionDrop = 0;
  let mlpDrop = 0;
  // Row r is an after-attention row: the row below it is that block's input, the row above its output.
  trajectory.rows.forEach((label, r) => {
    if (!isAfterAttentionRow(label)) return;
    attentionDrop += meanKl[r - 1] - meanKl[r];
    mlpDrop += meanKl[r] - meanKl[r + 1];
  });
  const echoes = { layer0: echoesAt(row('0')), afterAttention0: echoesAt(row(afterAttentionRow(0))), layer1: echoesAt(row('1')) };
  const kl = (label: string) => meanKl[row(label)].toFixed(2);
  const first = attentionDrop > mlpDrop ? ['attention sub-layers', attentionDrop, 'MLPs', mlpDrop] : ['MLPs', mlpDrop, 'attention sub-layers', attentionDrop];
  const text =
    `The logit lens reads the input token itself in ${echoes.layer0} of the ${positions.length} columns at layer 0, ` +
    `still in ${echoes.afterAttention0} after block 0’s attention, and in ${echoes.layer1} after its MLP (layer 1). ` +
    `Its mean KL to the output falls from ${kl('0')} nats at layer 0 to ${kl(afterAttentionRow(0))} after that attention and ${kl('1')} after that MLP; ` +
    `over all ${trajectory.rows.filter(isAfterAttentionRow).length} blocks, the ${first[0]} account for ${(first[1] as number).toFixed(2)} nats of its fall and the ${first[2]} for ${(first[3] as number).toFixed(2)}.`;
  return { facts: { shown, echoes, meanKl, attentionDrop, mlpDrop }, text };
}

// ——— Distance from the model across depth, over the columns shown ———

export interface DriftFacts {
  shown: [number, number];
  /** Per lens, the mean KL(p‖q) over the shown columns at each layer row (output excluded). */
  meanKl: Partial<Record<LensKey, number[]>>;
  /** The output's mean top-1 probability over the shown columns. */
  outputConfidence: number;
}

export function driftReading(lenses: Partial<Record<LensKey, PredictionTrajectory>>, shown: [number, number]): Reading<DriftFacts> {
  const any = (lenses.logit ?? lenses.tuned)!;
  const positions = Array.from({ length: shown[1] - shown[0] }, (_, i) => shown[0] + i);
  const out = outputRow(any);
  const meanOver = (trajectory: PredictionTrajectory, r: number, statistic: 'forwardKl' | 'maxProbability') =>
    positions.reduce((sum, t) => sum + (trajectory.statistic(statistic, r, t) ?? 0), 0) / positions.length;
  const meanKl: DriftFacts['meanKl'] = {};
  for (const key of ['logit', 'tuned'] as const) {
    const trajectory = lenses[key];
    if (trajectory) meanKl[key] = layerRows(trajectory).map((r) => meanOver(trajectory, r, 'forwardKl'));
  }
  const outputConfidence = meanOver(any, out, 'maxProbability');
  const facts = { shown, meanKl, outputConfidence };
  const last = (meanKl.logit ?? meanKl.tuned)!.length - 1;
  const describe = (key: LensKey) =>
    `${meanKl[key]![0].toFixed(2)} nats at layer 0 and ${meanKl[key]![last].toFixed(2)} at layer ${last} through ${lensName[key]}`;
  const parts = (['logit', 'tuned'] as const).filter((key) => meanKl[key]).map(describe);
  return {
    facts,
    text: `Over the ${positions.length} columns shown, the output’s top guess has on average probability ${outputConfidence.toFixed(2)}, and the mean KL(p‖q) is ${parts.join(', against ')}.`,
  };
}

// ——— The curves: one number per layer over the whole text ———

export interface CurvesFacts {
  numLayers: number;
  /** Layers (output excluded) where the tuned lens's mean KL is below the logit lens's. */
  tunedKlBelow: number;
  /** Layers where the tuned lens's bias is below the logit lens's. */
  tunedBiasBelow: number;
  /** The model's own bits per byte on the text (the output row). */
  modelBitsPerByte: number;
  /** Per lens, bits per byte at the last layer below the output. */
  lastLayerBitsPerByte: Partial<Record<LensKey, number>>;
  /** Per lens, the bias at layer 0. */
  layer0Bias: Partial<Record<LensKey, number>>;
}

export function curvesReading(points: LayerPoint[]): Reading<CurvesFacts> {
  const rows = (lens: LensKey) => points.filter((p) => p.lens === lens).sort((a, b) => a.layer - b.layer);
  const logit = rows('logit');
  const tuned = rows('tuned');
  const layers = logit.filter((p) => p.row !== 'output');
  const numLayers = layers.length;
  const output = logit.find((p) => p.row === 'output')!;
  const below = (field: 'meanKl' | 'bias') => layers.filter((p, i) => tuned[i] && tuned[i][field] < p[field]).length;
  const lastLayerBitsPerByte: CurvesFacts['lastLayerBitsPerByte'] = { logit: layers[numLayers - 1].bitsPerByte };
  const layer0Bias: CurvesFacts['layer0Bias'] = { logit: layers[0].bias };
  if (tuned.length) {
    lastLayerBitsPerByte.tuned = tuned[numLayers - 1].bitsPerByte;
    layer0Bias.tuned = tuned[0].bias;
  }
  const facts: CurvesFacts = {
    numLayers,
    tunedKlBelow: tuned.length ? below('meanKl') : 0,
    tunedBiasBelow: tuned.length ? below('bias') : 0,
    modelBitsPerByte: output.bitsPerByte,
    lastLayerBitsPerByte,
    layer0Bias,
  };
  const L1 = numLayers - 1;
  const own = `The model itself scores ${facts.modelBitsPerByte.toFixed(2)} bits per byte on this text`;
  if (!tuned.length) return { facts, text: `${own}; the logit lens reaches ${lastLayerBitsPerByte.logit!.toFixed(2)} at layer ${L1}.` };
  return {
    facts,
    text:
      `${own}; at layer ${L1}, the last below the output, the tuned lens scores ${lastLayerBitsPerByte.tuned!.toFixed(2)} and the logit lens ${lastLayerBitsPerByte.logit!.toFixed(2)}. ` +
      `The tuned lens is closer to the model (lower mean KL) at ${facts.tunedKlBelow} of the ${numLayers} layers, and less biased at ${facts.tunedBiasBelow} of them; ` +
      `at layer 0 its bias is ${layer0Bias.tuned!.toFixed(2)} nats against the logit lens’s ${layer0Bias.logit!.toFixed(2)}.`,
  };
}

// ——— The translators ———

export interface TranslatorFacts {
  /** Layer with the largest and the smallest ‖A_ℓ‖_F. */
  largest: { layer: number; norm: number };
  smallest: { layer: number; norm: number };
  /** The extreme singular values of I + A_ℓ over all layers. */
  minSingular: number;
  maxSingular: number;
}

export function translatorReading(stats: TranslatorStats[]): Reading<TranslatorFacts> {
  const byNorm = [...stats].sort((a, b) => b.weightNorm - a.weightNorm);
  const all = stats.flatMap((s) => s.singularValues);
  const facts: TranslatorFacts = {
    largest: { layer: byNorm[0].layer, norm: byNorm[0].weightNorm },
    smallest: { layer: byNorm[byNorm.length - 1].layer, norm: byNorm[byNorm.length - 1].weightNorm },
    minSingular: Math.min(...all),
    maxSingular: Math.max(...all),
  };
  return {
    facts,
    text:
      `For the lens this page ships, ‖A_ℓ‖_F is largest at layer ${facts.largest.layer} (${facts.largest.norm.toFixed(2)}) and smallest at layer ${facts.smallest.layer} (${facts.smallest.norm.toFixed(2)}), ` +
      `and the singular values of I + A_ℓ run from ${facts.minSingular.toFixed(2)} to ${facts.maxSingular.toFixed(2)} across all layers.`,
  };
}
