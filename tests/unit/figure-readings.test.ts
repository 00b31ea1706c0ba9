/**
 * Every figure's reading (the sentence beside it saying what its default view shows) against the
 * data that figure draws: the embedded model's own trajectories of the figure's default prompt, as
 * the build computes them. Each fact is recounted here in a plainer way than readings.ts counts it,
 * so a reading that stopped describing the model — a new model, a retrained lens — fails here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { layerCurves } from '../../demos/curves/curves-data.ts';
import { changeSentence } from '../../demos/heatmap/change-per-layer.ts';
import { lensLabel } from '../../demos/heatmap/heatmap-static.ts';
import { DEFAULT_STATE, visibleRange } from '../../demos/heatmap/heatmap-state.ts';
import { READINGS } from '../../demos/readings/figure-readings.ts';
import {
  columnReading,
  copyReading,
  curvesReading,
  driftReading,
  echoReading,
  lastPositionOf,
  sublayerReading,
  translatorReading,
} from '../../demos/readings/readings.ts';
import { buildLayerTransfer, buildTrajectory, buildTranslatorStats, embeddedModel } from '../../src/node/embedded-model.ts';
import { transferReading } from '../../demos/transfer/transfer-data.ts';
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';

type Lenses = { logit: PredictionTrajectory; tuned: PredictionTrajectory };

async function lenses(text: string): Promise<Lenses> {
  return { logit: await buildTrajectory(text, 'logit', 10), tuned: await buildTrajectory(text, 'tuned', 10) };
}

const top1 = (trajectory: PredictionTrajectory, row: number, t: number) => trajectory.topk(row, t)[0].id;

/** "From layer k on": true at k … L−1 and false at k − 1; or, for null, false at L − 1. */
function expectFirstFromWhichOn(first: number | null, L: number, holds: (layer: number) => boolean, what: string) {
  if (first === null) {
    expect(holds(L - 1), `${what}: null means it fails at the last layer`).toBe(false);
    return;
  }
  for (let l = first; l < L; l++) expect(holds(l), `${what} at layer ${l}`).toBe(true);
  if (first > 0) expect(holds(first - 1), `${what} at layer ${first - 1}`).toBe(false);
}

afterAll(async () => (await embeddedModel()).model.release());

describe('figure readings against the embedded model’s data', () => {
  it('the seed heatmap: copyable columns, the output’s hits and each lens’s first majority layer', async () => {
    const { text, start } = READINGS['fig-seed-heatmap'];
    const both = await lenses(text);
    const ids = both.tuned.inputIds;
    const shown = visibleRange({ start, end: null }, ids.length);
    const { facts, text: sentence } = copyReading(both, shown);
    // Copyable: the bigram (x_t, x_t+1) occurred before t.
    const seen = new Set<string>();
    const copyable: number[] = [];
    for (let t = 0; t + 1 < ids.length; t++) {
      const bigram = `${ids[t]},${ids[t + 1]}`;
      if (seen.has(bigram) && t >= shown[0] && t < shown[1]) copyable.push(t);
      seen.add(bigram);
    }
    expect(facts.copyable).toEqual(copyable);
    const out = both.tuned.rows.length - 1;
    expect(facts.outputCorrect).toBe(copyable.filter((t) => top1(both.tuned, out, t) === ids[t + 1]).length);
    for (const key of ['tuned', 'logit'] as const) {
      const majority = (l: number) => 2 * copyable.filter((t) => top1(both[key], l, t) === ids[t + 1]).length > copyable.length;
      if (copyable.length) expectFirstFromWhichOn(facts.firstMajorityLayer[key]!, out, majority, `${key} lens majority`);
    }
    expect(sentence).toContain(`${facts.outputCorrect} of them`);
  });

  it.each(['fig-logit-rank', 'fig-compare'] as const)('%s: the column’s next token and the layer each lens first ranks it top for good', async (figure) => {
    const { text, token } = READINGS[figure];
    const both = await lenses(text);
    const position = lastPositionOf(both.logit, token);
    expect(both.logit.tokens[position]).toBe(token);
    expect(both.logit.tokens.slice(position + 1).includes(token)).toBe(false);
    const { facts, text: sentence } = columnReading(both, position);
    const out = both.logit.rows.length - 1;
    expect(facts.next).toBe(both.logit.tokens[position + 1]);
    expect(facts.outputRank).toBe(both.logit.statistic('rank', out, position));
    for (const key of ['tuned', 'logit'] as const) {
      expectFirstFromWhichOn(facts.firstTopLayer[key]!, out, (l) => both[key].statistic('rank', l, position) === 1, `${key} lens rank 1`);
    }
    if (facts.outputRank === 1) expect(sentence).toContain('ranks it first');
  });

  it.each(['fig-logit-echo', 'fig-tuned-echo'] as const)('%s: how often layer 0 reads back the input token', async (figure) => {
    const { text, lead } = READINGS[figure];
    const both = await lenses(text);
    const { facts, text: sentence } = echoReading(both, lead);
    for (const key of ['logit', 'tuned'] as const) {
      const T = both[key].numPositions;
      const echoes = both[key].inputIds.filter((id, t) => top1(both[key], 0, t) === id).length;
      const next = both[key].inputIds.slice(1).filter((id, t) => top1(both[key], 0, t) === id).length;
      expect(facts.echoes[key]).toBe(echoes);
      expect(facts.nextAtLayer0[key]).toBe(next);
      expect(sentence).toContain(`input token itself in ${echoes} of the ${T} columns`);
    }
  });

  it('the drift heatmap: the mean KL of each lens over the shown columns', async () => {
    const { text, start } = READINGS['fig-logit-drift'];
    const both = await lenses(text);
    const shown = visibleRange({ start, end: null }, both.logit.numPositions);
    const { facts } = driftReading(both, shown);
    for (const key of ['logit', 'tuned'] as const) {
      const cut = both[key].slice(shown[0], shown[1]);
      const L = cut.rows.length - 1;
      const expected = Array.from(
        { length: L },
        (_, l) => Array.from(cut.statistics.forwardKl.subarray(l * cut.numPositions, (l + 1) * cut.numPositions)).reduce((a, b) => a + b, 0) / cut.numPositions,
      );
      facts.meanKl[key]!.forEach((value, l) => expect(value).toBeCloseTo(expected[l], 5));
    }
  });

  it('the sub-layer heatmap: the echo before and after block 0’s attention and MLP, and what each kind of sub-layer removes of the KL', async () => {
    const { text, start } = READINGS['fig-logit-sublayers'];
    const trajectory = await buildTrajectory(text, 'logit', 10, { sublayers: true });
    const shown = visibleRange({ start, end: null }, trajectory.numPositions);
    const { facts, text: sentence } = sublayerReading(trajectory, shown);
    // Recounted on the cut trajectory, by row label: the rows the figure shows.
    const cut = trajectory.slice(shown[0], shown[1]);
    const T = cut.numPositions;
    const at = (label: string) => cut.rows.indexOf(label);
    const echoes = (label: string) => cut.inputIds.filter((id, t) => top1(cut, at(label), t) === id).length;
    expect(facts.echoes).toEqual({ layer0: echoes('0'), afterAttention0: echoes('0 · after attention'), layer1: echoes('1') });
    const mean = (label: string) => Array.from(cut.statistics.forwardKl.subarray(at(label) * T, (at(label) + 1) * T)).reduce((a, b) => a + b, 0) / T;
    const L = cut.rows.filter((row) => !row.includes('after') && row !== 'output').length;
    let attention = 0;
    let mlp = 0;
    for (let l = 0; l < L; l++) {
      attention += mean(String(l)) - mean(`${l} · after attention`);
      mlp += mean(`${l} · after attention`) - mean(l + 1 < L ? String(l + 1) : 'output');
    }
    expect(facts.attentionDrop).toBeCloseTo(attention, 4);
    expect(facts.mlpDrop).toBeCloseTo(mlp, 4);
    // The two kinds of step add up to the whole fall, from layer 0 to the output (0 by definition).
    expect(attention + mlp).toBeCloseTo(mean('0') - mean('output'), 4);
    expect(mean('output')).toBeCloseTo(0, 5);
    expect(sentence).toContain(`in ${facts.echoes.afterAttention0} after block 0’s attention`);
    const [bigger, smaller] = attention > mlp ? [attention, mlp] : [mlp, attention];
    expect(sentence).toContain(
      `account for ${bigger.toFixed(2)} nats of its fall and the ${attention > mlp ? 'MLPs' : 'attention sub-layers'} for ${smaller.toFixed(2)}`,
    );
  });

  it('the curves: layers where the tuned lens is closer and less biased, and the model’s own bits per byte', async () => {
    const { text } = READINGS['fig-curves'];
    const points = [
      ...layerCurves('logit', await buildTrajectory(text, 'logit', 1), text),
      ...layerCurves('tuned', await buildTrajectory(text, 'tuned', 1), text),
    ];
    const { facts } = curvesReading(points);
    const layer = (lens: string, l: number) => points.find((p) => p.lens === lens && p.layer === l)!;
    const L = facts.numLayers;
    let kl = 0;
    let bias = 0;
    for (let l = 0; l < L; l++) {
      if (layer('tuned', l).meanKl < layer('logit', l).meanKl) kl++;
      if (layer('tuned', l).bias < layer('logit', l).bias) bias++;
    }
    expect(facts.tunedKlBelow).toBe(kl);
    expect(facts.tunedBiasBelow).toBe(bias);
    expect(facts.modelBitsPerByte).toBe(layer('tuned', L).bitsPerByte);
    expect(facts.modelBitsPerByte).toBe(layer('logit', L).bitsPerByte);
    // The output row compared with itself has no bias.
    expect(layer('tuned', L).bias).toBeCloseTo(0, 5);
  });

  it('the translators: the layers with the largest and smallest ‖A‖ and the spectrum’s extremes', async () => {
    const stats = await buildTranslatorStats('tuned');
    const { facts } = translatorReading(stats);
    const norms = stats.map((s) => s.weightNorm);
    expect(facts.largest.norm).toBe(Math.max(...norms));
    expect(facts.smallest.norm).toBe(Math.min(...norms));
    expect(stats[facts.largest.layer].weightNorm).toBe(facts.largest.norm);
    for (const s of stats) for (const v of s.singularValues) expect(v >= facts.minSingular && v <= facts.maxSingular).toBe(true);
  });

  // Chapter 1's ChangeSentence beside fig-change-per-layer and fig-consecutive-kl: the figures' default prompt, lens and positions.
  it.each([
    ['changePerLayer', 'change_per_layer'],
    ['consecutiveKl', 'consecutive_kl'],
  ] as const)('the %s figure: the layers whose mean over the shown tokens is largest and smallest', async (change, jsonName) => {
    const { text, lens, start, topk } = DEFAULT_STATE;
    const full = await buildTrajectory(text, lens, topk, { [change]: true });
    const shown = full.slice(...visibleRange({ start, end: null }, full.numPositions));
    const sentence = changeSentence(shown, lensLabel(lens), change);
    // Each row's mean from the CLI's JSON grid; layer 0 has no layer below.
    const grid = shown.toJSON()[jsonName] as (number | null)[][];
    expect(grid[0].every((v) => v === null)).toBe(true);
    const means = grid.slice(1).map((row) => row.reduce((s: number, v) => s + v!, 0) / row.length);
    const name = (r: number) => (r === grid.length - 1 ? 'the step from the last layer to the output' : `layer ${r}`);
    const nats = (m: number) => `${change === 'changePerLayer' ? (m >= 0 ? '+' : '−') : ''}${Math.abs(m).toFixed(2)} nats`;
    const most = means.indexOf(Math.max(...means)) + 1;
    const least = means.indexOf(Math.min(...means)) + 1;
    expect(sentence).toContain(`at ${name(most)} (${nats(means[most - 1])}) and least at ${name(least)} (${nats(means[least - 1])})`);
  });

  it('the layer transfer: the columns whose own translator is best, and the diagonal’s and the other cells’ mean KL', async () => {
    const transfer = await buildLayerTransfer(READINGS['fig-layer-transfer'].text, 'tuned');
    const { facts, text } = transferReading(transfer, 'tuned lens');
    const L = transfer.numLayers;
    const at = (i: number, j: number) => transfer.kl[i * L + j];
    for (let j = 0; j < L; j++) {
      const column = Array.from({ length: L }, (_, i) => at(i, j));
      expect(facts.ownBest.includes(j), `column ${j}`).toBe(at(j, j) === Math.min(...column));
    }
    let diagonal = 0;
    let other = 0;
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < L; j++) {
        if (i === j) diagonal += at(i, j);
        else other += at(i, j);
      }
    }
    expect(facts.diagonalMean).toBeCloseTo(diagonal / L, 5);
    expect(facts.offDiagonalMean).toBeCloseTo(other / (L * L - L), 5);
    expect(text).toContain(`${facts.diagonalMean.toFixed(2)} nats`);
  });
});
