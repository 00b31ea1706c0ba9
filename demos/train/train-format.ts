/** How the training figure prints its numbers. */
import type { TrainPlan, TrainProgress } from '../../src/engine/protocol.ts';

export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

/** KL in nats, to three decimals (the CLI's precision). */
export const fmtNats = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : '—');

/** "45 s", "2 min 05 s", "1 h 02 min". */
export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** What training starts from, in words, for a lens name of the engine's menu. */
export function initLabel(lens: string): string {
  if (lens === 'logit') return 'zero translators (the logit lens)';
  if (lens === 'tuned') return 'this model’s own tuned lens';
  return `the lens “${lens}”`;
}

/** " Mean KL went from … to … nats." once a run has more than one step; else nothing. */
export function meanKlFell(first: TrainProgress, last: TrainProgress): string {
  return last.step > first.step ? ` Mean KL went from ${fmtNats(first.meanLoss)} to ${fmtNats(last.meanLoss)} nats.` : '';
}

/** "Each step reads 4 chunks of 256 tokens of a 5,536-token text": what a step is, once the text is tokenised. */
export function stepReads({ chunksPerStep, context, textTokens }: Pick<TrainPlan, 'chunksPerStep' | 'context' | 'textTokens'>): string {
  return `Each step reads ${chunksPerStep} chunk${chunksPerStep === 1 ? '' : 's'} of ${context} tokens of a ${fmtInt(textTokens)}-token text`;
}
