/**
 * The trajectory a heatmap draws: cutting it to the positions and layers the reader asked for (the seed's
 * start_pos, a layer stride), its JSON, and how token text is shown in cells.
 */
import { describe, expect, it } from 'vitest';
import { PredictionTrajectory, STATISTICS, type Statistic } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';

const K = 2;

/**
 * A trajectory whose every value says where it came from: entropy = 10·row + position, top-k id =
 * 1000·row + 10·position + i, token `t<position>`. Cross-entropy and rank are missing (NaN) at the last position.
 */
function makeTrajectory(layers: number, positions: number): PredictionTrajectory {
  const rows = [...Array.from({ length: layers }, (_, i) => String(i)), 'output'];
  const R = rows.length;
  const T = positions;
  const cell = (f: (r: number, t: number) => number) => Float32Array.from({ length: R * T }, (_, c) => f(Math.floor(c / T), c % T));
  const statistics = {
    entropy: cell((r, t) => 10 * r + t),
    crossEntropy: cell((r, t) => (t === T - 1 ? NaN : 100 + 10 * r + t)),
    forwardKl: cell((r, t) => (r === R - 1 ? 0 : 0.5 + r + t / 10)),
    maxProbability: cell((r, t) => 1 / (2 + r + t)),
    rank: cell((r, t) => (t === T - 1 ? NaN : 1 + r * T + t)),
  } satisfies Record<Statistic, Float32Array>;
  const topkIds = Int32Array.from({ length: R * T * K }, (_, j) => {
    const c = Math.floor(j / K);
    return 1000 * Math.floor(c / T) + 10 * (c % T) + (j % K);
  });
  return new PredictionTrajectory({
    inputIds: Array.from({ length: T }, (_, t) => 500 + t),
    tokens: Array.from({ length: T }, (_, t) => `t${t}`),
    rows,
    k: K,
    topkIds,
    topkProbs: Float32Array.from(topkIds, (_, j) => (j % K === 0 ? 0.6 : 0.3)),
    topkTokens: Array.from(topkIds, (id) => `#${id}`),
    statistics,
  });
}

/** The original positions a cut trajectory shows (its input ids are 500 + position). */
function positionsOf(trajectory: PredictionTrajectory): number[] {
  return trajectory.inputIds.map((id) => id - 500);
}

/** Checks that every cell of `cut` holds the values of (row, position) in the original. */
function expectCellsFrom(cut: PredictionTrajectory, rows: number[], positions: number[], T: number): void {
  expect(positionsOf(cut)).toEqual(positions);
  expect(cut.tokens).toEqual(positions.map((t) => `t${t}`));
  rows.forEach((r, i) =>
    positions.forEach((t, j) => {
      expect(cut.statistic('entropy', i, j), `entropy at row ${r}, position ${t}`).toBe(10 * r + t);
      expect(cut.statistic('crossEntropy', i, j), `cross-entropy at row ${r}, position ${t}`).toBe(t === T - 1 ? null : 100 + 10 * r + t);
      expect(cut.statistic('rank', i, j)).toBe(t === T - 1 ? null : 1 + r * T + t);
      expect(cut.topk(i, j).map((e) => e.id)).toEqual([1000 * r + 10 * t, 1000 * r + 10 * t + 1]);
      expect(cut.topk(i, j).map((e) => e.token)).toEqual([`#${1000 * r + 10 * t}`, `#${1000 * r + 10 * t + 1}`]);
    }),
  );
}

describe('PredictionTrajectory.slice', () => {
  const T = 6;
  const full = makeTrajectory(3, T);
  const allRows = [0, 1, 2, 3];

  it("keeps the last three positions for start -3, like the seed's start_pos=-3", () => {
    expectCellsFrom(full.slice(-3), allRows, [3, 4, 5], T);
  });

  it('counts a negative end from the end, end exclusive', () => {
    expectCellsFrom(full.slice(1, -1), allRows, [1, 2, 3, 4], T);
    expectCellsFrom(full.slice(-4, -2), allRows, [2, 3], T);
  });

  it('keeps everything with no arguments, and a positive end is exclusive', () => {
    expectCellsFrom(full.slice(), allRows, [0, 1, 2, 3, 4, 5], T);
    expectCellsFrom(full.slice(0, 2), allRows, [0, 1], T);
  });

  it('clamps starts and ends outside the prompt instead of failing', () => {
    expectCellsFrom(full.slice(-100), allRows, [0, 1, 2, 3, 4, 5], T);
    expectCellsFrom(full.slice(2, 100), allRows, [2, 3, 4, 5], T);
    expect(full.slice(100).numPositions).toBe(0);
    expect(full.slice(4, 2).numPositions).toBe(0);
    expect(full.slice(0, -100).numPositions).toBe(0);
  });

  it('keeps the rows and k', () => {
    const cut = full.slice(-2);
    expect(cut.rows).toEqual(['0', '1', '2', 'output']);
    expect(cut.k).toBe(K);
  });
});

describe('PredictionTrajectory.stride', () => {
  const T = 3;
  const full = makeTrajectory(5, T); // rows 0..4 and output

  it('keeps every n-th layer and always the output row', () => {
    expect(full.stride(1).rows).toEqual(['0', '1', '2', '3', '4', 'output']);
    expect(full.stride(2).rows).toEqual(['0', '2', '4', 'output']);
    expect(full.stride(3).rows).toEqual(['0', '3', 'output']);
    expect(full.stride(100).rows).toEqual(['0', 'output']);
    expect(makeTrajectory(4, T).stride(2).rows).toEqual(['0', '2', 'output']);
  });

  it("moves each kept row's cells with it", () => {
    expectCellsFrom(full.stride(2), [0, 2, 4, 5], [0, 1, 2], T);
    expectCellsFrom(full.slice(-2).stride(3), [0, 3, 5], [1, 2], T);
  });

  it('refuses a stride that is not a positive integer', () => {
    expect(() => full.stride(0)).toThrow(RangeError);
    expect(() => full.stride(1.5)).toThrow(/positive integer/);
  });
});

describe('prediction depth', () => {
  /** Top-1 ids by [row][position] (rows 0..L-1, then the output), with a runner-up id that is never anyone's top-1. */
  function withTop1(top1: number[][]): PredictionTrajectory {
    const R = top1.length;
    const T = top1[0].length;
    const rows = [...Array.from({ length: R - 1 }, (_, i) => String(i)), 'output'];
    const cells = R * T;
    const topkIds = Int32Array.from({ length: cells * 2 }, (_, j) => (j % 2 === 0 ? top1[Math.floor(j / 2 / T)][Math.floor(j / 2) % T] : 99));
    const zeros = () => new Float32Array(cells);
    return new PredictionTrajectory({
      inputIds: Array.from({ length: T }, (_, t) => t),
      tokens: Array.from({ length: T }, (_, t) => `t${t}`),
      rows,
      k: 2,
      topkIds,
      topkProbs: new Float32Array(cells * 2),
      topkTokens: Array.from(topkIds, String),
      statistics: { entropy: zeros(), crossEntropy: zeros(), forwardKl: zeros(), maxProbability: zeros(), rank: zeros() },
    });
  }

  it("is the first layer from which the top-1 equals the output's and stays equal up to it", () => {
    const trajectory = withTop1([
      // layer 0..3, then the output; positions 0..4
      [7, 1, 5, 5, 2],
      [7, 1, 5, 6, 3],
      [7, 2, 5, 5, 4],
      [7, 2, 5, 5, 0],
      [7, 2, 5, 5, 9],
    ]);
    // 0: every layer agrees; 1: from layer 2; 2: every layer; 3: layer 1 disagrees, so from 2 — not 0;
    // 4: no layer agrees, so L = 4 (only the output has it).
    expect(Array.from(trajectory.predictionDepth())).toEqual([0, 2, 0, 2, 4]);
    expect(trajectory.meanPredictionDepth()).toBeCloseTo(8 / 5, 12);
    expect(trajectory.meanPredictionDepth(1, 3)).toBeCloseTo(1, 12);
    expect(trajectory.meanPredictionDepth(2, 2)).toBeNull();
  });

  it('is kept, not recomputed, when a stride hides the layers it depends on', () => {
    const trajectory = withTop1([
      [1, 1],
      [2, 1],
      [3, 1],
      [3, 1],
    ]);
    expect(Array.from(trajectory.predictionDepth())).toEqual([2, 0]);
    const strided = trajectory.stride(2);
    expect(strided.rows).toEqual(['0', '2', 'output']);
    expect(Array.from(strided.predictionDepth())).toEqual([2, 0]);
    expect(Array.from(trajectory.slice(1).predictionDepth())).toEqual([0]);
  });
});

describe('PredictionTrajectory as data', () => {
  it("gives the CLI's JSON: [row][position] arrays with null where a value is missing", () => {
    const T = 3;
    const json = makeTrajectory(2, T).toJSON();
    expect(Object.keys(json)).toEqual([
      'input_ids',
      'tokens',
      'rows',
      'top1_ids',
      'topk_ids',
      'topk_probs',
      'entropy',
      'cross_entropy',
      'forward_kl',
      'max_probability',
      'rank',
      'prediction_depth',
    ]);
    expect(json.input_ids).toEqual([500, 501, 502]);
    // No layer's top-1 is the output's here, so each position's depth is L = 2.
    expect(json.prediction_depth).toEqual([2, 2, 2]);
    expect(json.tokens).toEqual(['t0', 't1', 't2']);
    expect(json.rows).toEqual(['0', '1', 'output']);
    expect(json.top1_ids).toEqual([
      [0, 10, 20],
      [1000, 1010, 1020],
      [2000, 2010, 2020],
    ]);
    expect((json.topk_ids as number[][][])[1][2]).toEqual([1020, 1021]);
    expect((json.topk_probs as number[][][])[1][2]).toEqual([Math.fround(0.6), Math.fround(0.3)]);
    expect(json.entropy).toEqual([
      [0, 1, 2],
      [10, 11, 12],
      [20, 21, 22],
    ]);
    expect(json.cross_entropy).toEqual([
      [100, 101, null],
      [110, 111, null],
      [120, 121, null],
    ]);
    expect(json.rank).toEqual([
      [1, 2, null],
      [4, 5, null],
      [7, 8, null],
    ]);
    expect((json.forward_kl as number[][])[2]).toEqual([0, 0, 0]);
    // What the CLI prints reads back the same, nulls included.
    expect(JSON.parse(JSON.stringify(makeTrajectory(2, T)))).toEqual(json);
  });

  it('rebuilds itself from plain data that crossed a Worker boundary', () => {
    const original = makeTrajectory(3, 4);
    const copy = PredictionTrajectory.from(structuredClone({ ...original }));
    expect(copy).toBeInstanceOf(PredictionTrajectory);
    expect(copy.toJSON()).toEqual(original.toJSON());
    expect(copy.slice(-1).statistic('rank', 0, 0)).toBeNull();
    expect(PredictionTrajectory.from(original)).toBe(original);
  });

  it('refuses arrays that do not match rows × positions', () => {
    const good = makeTrajectory(2, 3);
    const statistics = Object.fromEntries(STATISTICS.map((s) => [s, good.statistics[s]])) as Record<Statistic, Float32Array>;
    statistics.entropy = statistics.entropy.slice(1);
    expect(() => new PredictionTrajectory({ ...good, statistics })).toThrow(/3 rows × 3 positions/);
    expect(() => new PredictionTrajectory({ ...good, topkIds: good.topkIds.slice(2) })).toThrow(/do not match/);
  });
});

describe('formatToken', () => {
  it('shows spaces, newlines, tabs and carriage returns visibly', () => {
    expect(formatToken(' the')).toBe('␣the');
    expect(formatToken(' ')).toBe('␣');
    expect(formatToken('\n\n')).toBe('↵↵');
    expect(formatToken('a\tb')).toBe('a⇥b');
    expect(formatToken('\r\n')).toBe('␍↵');
  });

  it('shows an empty token as ∅ rather than nothing', () => {
    expect(formatToken('')).toBe('∅');
  });

  it('cuts a long token with an ellipsis, keeping it at most 7 characters', () => {
    expect(formatToken('abcdefg')).toBe('abcdefg');
    expect(formatToken('abcdefgh')).toBe('abcdef…');
    expect(formatToken(' international')).toBe('␣inter…');
    expect(formatToken('abcdefgh', { maxLength: 4 })).toBe('abc…');
  });

  it('counts characters, not UTF-16 units, so emoji are never split', () => {
    expect(formatToken('😀😀😀')).toBe('😀😀😀');
    expect(formatToken('😀😀😀😀😀😀😀😀')).toBe('😀😀😀😀😀😀…');
  });
});
