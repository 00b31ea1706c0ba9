/**
 * The induction measurement (src/lens/trajectory/induction.ts): which strings it draws, which positions
 * count as predictable, and what it counts, on a stand-in model whose predictions are known.
 */
import { describe, expect, it } from 'vitest';
import { LogitLens } from '../../src/lens/lens/tuned-lens.ts';
import { inductionCurve, PRINTABLE, randomPrintableStrings, repeatedPrompt, type InductionModel } from '../../src/lens/trajectory/induction.ts';
import { PredictionTrajectory, STATISTICS } from '../../src/lens/trajectory/prediction-trajectory.ts';

/** One token per character (its code), so copies and positions are easy to count by hand. */
const encode = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

/**
 * Row 0 always predicts "!", row 1 copies perfectly (the token that followed the previous occurrence
 * of the current token), "output" copies only in even positions.
 */
function standIn(): InductionModel {
  return {
    encode,
    async trajectory(inputIds) {
      const T = inputIds.length;
      const rows = ['0', '1', 'output'];
      const copy = (p: number) => {
        const before = inputIds.lastIndexOf(inputIds[p], p - 1);
        return before >= 0 ? inputIds[before + 1] : 0;
      };
      const predict = [() => 33, copy, (p: number) => (p % 2 === 0 ? copy(p) : 0)];
      const topkIds = Int32Array.from(rows.flatMap((_, r) => inputIds.map((_, p) => predict[r](p))));
      const statistics = Object.fromEntries(STATISTICS.map((s) => [s, new Float32Array(rows.length * T)])) as PredictionTrajectory['statistics'];
      return new PredictionTrajectory({
        inputIds,
        tokens: inputIds.map((id) => String.fromCharCode(id)),
        rows,
        k: 1,
        topkIds,
        topkProbs: new Float32Array(rows.length * T).fill(1),
        topkTokens: Array.from(topkIds, (id) => String.fromCharCode(id)),
        statistics,
      });
    },
  };
}

describe('randomPrintableStrings', () => {
  it('draws printable characters without spaces, within the lengths, the same for the same seed', () => {
    const strings = randomPrintableStrings(200, { seed: 7, minLength: 3, maxLength: 5 });
    expect(new Set(strings.map((s) => s.length))).toEqual(new Set([3, 4, 5]));
    for (const s of strings) expect([...s].every((c) => PRINTABLE.includes(c) && c !== ' ')).toBe(true);
    expect(randomPrintableStrings(200, { seed: 7, minLength: 3, maxLength: 5 })).toEqual(strings);
    expect(randomPrintableStrings(200, { seed: 8, minLength: 3, maxLength: 5 })).not.toEqual(strings);
    expect(PRINTABLE).toHaveLength(94);
  });
});

describe('inductionCurve', () => {
  it('counts, per row, the positions of the second copy whose next token is the copied one', async () => {
    // "abc abc": positions 3 (" ") .. 5 ("b") predict "a", "b", "c"; the first copy and the last token do not count.
    expect(repeatedPrompt({ encode }, 'abc')).toEqual({ inputIds: encode('abc abc'), predictFrom: 3 });
    const curve = await inductionCurve(standIn(), new LogitLens(1, 1), ['abc', 'wxyz']);
    expect(curve.rows).toEqual(['0', '1', 'output']);
    expect(curve.predictable).toBe(3 + 4);
    // Row 1 copies: " " was never seen before, so position 3 (and 4 in "wxyz wxyz") misses.
    expect(curve.accuracy[0]).toBe(0);
    expect(curve.accuracy[1]).toBeCloseTo(5 / 7);
    // "output": even positions only: 4 ("a"→"b"), and in "wxyz wxyz" 6 ("x"→"y"); 8 is the last, not counted.
    expect(curve.accuracy[2]).toBeCloseTo(2 / 7);
  });

  it('refuses a string with whitespace, whose copies would not be cut where the measurement assumes', async () => {
    await expect(inductionCurve(standIn(), new LogitLens(1, 1), ['a b'])).rejects.toThrow(/without whitespace/);
  });
});
