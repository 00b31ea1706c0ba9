/**
 * Induction measured the way the seed prompt shows it: a random string of printable characters typed
 * twice with a space between ("s s"). Nothing in the first copy can be predicted; in the second, every
 * token after its first has appeared before, right after the token that precedes it now, so a model
 * that looks back and copies predicts it. Per row of the trajectory (each layer through a lens, then
 * the output) this counts how often the top-1 token is that copied token.
 */
import type { Lens } from '../lens/tuned-lens.ts';
import { mulberry32 } from '../train/data.ts';
import type { PredictionTrajectory } from './prediction-trajectory.ts';

/** Printable ASCII without the space, which separates the copies: the seed prompt's alphabet. */
export const PRINTABLE = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i)).join('');

/** `count` strings of `minLength`..`maxLength` (inclusive) random printable characters, the same for the same seed. */
export function randomPrintableStrings(
  count: number,
  { seed, minLength = 16, maxLength = 32 }: { seed: number; minLength?: number; maxLength?: number },
): string[] {
  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  return Array.from({ length: count }, () => {
    const length = minLength + pick(maxLength - minLength + 1);
    return Array.from({ length }, () => PRINTABLE[pick(PRINTABLE.length)]).join('');
  });
}

/** What the measurement needs of a model: LensModel, or a stand-in. */
export interface InductionModel {
  encode(text: string): number[];
  trajectory(inputIds: number[], lens: Lens, options: { topk: number }): Promise<PredictionTrajectory>;
}

export interface InductionCurve {
  /** The trajectory's rows: "0", "1", …, "output". */
  rows: string[];
  /** Per row, the fraction of predictable tokens whose top-1 prediction is the copied token. */
  accuracy: number[];
  /** How many predictable tokens that is over all strings. */
  predictable: number;
  strings: number;
}

/**
 * The prompt for `s` and the positions whose next token the first copy gives away: `s + " " + s`
 * tokenized as a whole, and the positions from the second copy's first token to the one before last.
 * The second copy's first token (" " merged with the start of `s`) is not predictable: nothing says
 * where the first copy ends.
 */
export function repeatedPrompt(model: Pick<InductionModel, 'encode'>, s: string): { inputIds: number[]; predictFrom: number } {
  if (s.length === 0 || /\s/.test(s)) throw new Error(`induction strings must be non-empty and without whitespace, not ${JSON.stringify(s)}`);
  const first = model.encode(s);
  const inputIds = model.encode(`${s} ${s}`);
  // GPT-2's pre-tokenizer always cuts before " " + a non-space, so the first copy keeps its tokens.
  if (!first.every((id, i) => inputIds[i] === id)) throw new Error(`the first copy of ${JSON.stringify(s)} tokenizes differently inside the prompt`);
  return { inputIds, predictFrom: first.length };
}

export async function inductionCurve(model: InductionModel, lens: Lens, strings: string[]): Promise<InductionCurve> {
  let rows: string[] = [];
  let hits: number[] = [];
  let predictable = 0;
  for (const s of strings) {
    const { inputIds, predictFrom } = repeatedPrompt(model, s);
    const trajectory = await model.trajectory(inputIds, lens, { topk: 1 });
    if (hits.length === 0) {
      rows = trajectory.rows;
      hits = rows.map(() => 0);
    }
    // The position p predicts token p + 1.
    for (let p = predictFrom; p < inputIds.length - 1; p++) {
      predictable++;
      rows.forEach((_, r) => {
        if (trajectory.topk(r, p)[0].id === inputIds[p + 1]) hits[r]++;
      });
    }
  }
  return { rows, accuracy: hits.map((h) => (predictable ? h / predictable : NaN)), predictable, strings: strings.length };
}
