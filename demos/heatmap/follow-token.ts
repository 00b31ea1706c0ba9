/**
 * Words about a followed token, written from the numbers: where in the prompt it actually comes next,
 * what probability the model's output gives it there, and from which layer the lens ranks it first.
 * The chapter's sentence (FollowSentence.astro) and its test read the same trajectory the figure draws.
 */
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import { formatProbability } from './statistic-scales.ts';

export interface FollowedAt {
  /** The position after which the followed token is the next input token. */
  position: number;
  /** The model's own probability for it there (the output row). */
  outputProbability: number;
  /**
   * The lowest layer from which it is ranked first at every layer up to and including the output (the
   * model's layer count when only the output ranks it first), or null when the output does not.
   */
  firstTopLayer: number | null;
}

export function followedWhereNext(trajectory: PredictionTrajectory): FollowedAt[] {
  const followed = trajectory.followed;
  if (!followed) return [];
  const T = trajectory.numPositions;
  const R = trajectory.rows.length;
  const at: FollowedAt[] = [];
  for (let t = 0; t + 1 < T; t++) {
    if (trajectory.inputIds[t + 1] !== followed.id) continue;
    let first: number | null = null;
    // Rows are every layer then the output (the trajectory a figure is computed from, before any stride).
    for (let r = R - 1; r >= 0 && followed.rank[r * T + t] === 1; r--) first = r;
    at.push({ position: t, outputProbability: Math.exp(followed.logprob[(R - 1) * T + t]), firstTopLayer: first });
  }
  return at;
}

/** The followed token as a caption names it (` “token”`), or '' when the cells show no followed token. */
export function followedInCaption(trajectory: PredictionTrajectory | undefined, following: boolean): string {
  return following && trajectory?.followed ? ` “${formatToken(trajectory.followed.token, { maxLength: 24 })}”` : '';
}

export function followSentence(trajectory: PredictionTrajectory, lensLabel: string): string {
  const at = followedWhereNext(trajectory);
  if (!trajectory.followed || at.length < 2) return '';
  const token = `“${formatToken(trajectory.followed.token, { maxLength: 24 })}”`;
  const [first, last] = [at[0], at[at.length - 1]];
  const after = (a: FollowedAt) => `“${formatToken(trajectory.tokens[a.position], { maxLength: 24 })}”`;
  const L = trajectory.rows.length - 1;
  const lens = (a: FollowedAt) =>
    a.firstTopLayer === null
      ? 'it is not the model’s top guess there'
      : a.firstTopLayer === L
        ? `it is the model’s top guess, but no layer of the ${lensLabel} below the output ranks it first`
        : `the ${lensLabel} ranks it first at every layer from layer ${a.firstTopLayer} up`;
  return `In this prompt ${token} comes next ${at.length} times. After the first ${after(first)} the model’s output gives it ${formatProbability(first.outputProbability)} and ${lens(first)}; after the last ${after(last)} the output gives it ${formatProbability(last.outputProbability)} and ${lens(last)}.`;
}
