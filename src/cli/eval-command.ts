/**
 * `lens eval`: per-layer cross-entropy (nats), bits per byte and KL to the model's output of a lens
 * and the logit lens side by side, on text files — the paper's table.
 */
import { parseArgs } from 'node:util';
import type { Lens } from '../lens/lens/tuned-lens.ts';
import { allChunks, DATA_DEFAULTS, heldOutChunks, type TokenChunk } from '../lens/train/data.ts';
import type { Evaluation } from '../lens/train/evaluate.ts';
import { checkDataFiles, fileCorpus } from './data.ts';
import { loadLens, loadSession } from './sources.ts';

export interface EvalArgs {
  model?: string;
  lens?: string;
  data?: string[];
  tokens?: string;
  context?: string;
  'heldout-fraction'?: string;
  seed?: string;
  'text-key'?: string;
  'batch-tokens'?: string;
  threads?: string;
  json?: boolean;
}

/** Options shared by `lens train` and `lens eval` (all values are strings, checked later). */
export const DATA_OPTIONS = {
  model: { type: 'string' },
  data: { type: 'string', multiple: true },
  context: { type: 'string' },
  seed: { type: 'string' },
  'heldout-fraction': { type: 'string' },
  'batch-tokens': { type: 'string' },
  'text-key': { type: 'string' },
  threads: { type: 'string' },
} as const;

/** `--data a.txt b.txt` lists files after one flag: positional arguments are data files too. */
export function parseEvalArgs(args: string[]): EvalArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...DATA_OPTIONS, lens: { type: 'string', default: 'logit' }, tokens: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  return { ...values, data: [...(values.data ?? []), ...positionals] };
}

export async function evalCommand(args: EvalArgs): Promise<number> {
  if (!args.model) throw new Error('eval needs --model <dir|url|hub:ID>');
  const data = args.data ?? [];
  if (data.length === 0) throw new Error('eval needs --data <files…> (text or JSON lines)');
  await checkDataFiles(data);
  const tokens = optionalNumber('tokens', args.tokens, { integer: true, min: 1 });
  const heldOutFraction = optionalNumber('heldout-fraction', args['heldout-fraction'], { min: 0, max: 1 });
  const seed = optionalNumber('seed', args.seed, { integer: true }) ?? DATA_DEFAULTS.seed;

  const session = await loadSession(args.model);
  const { model } = session;
  const { nPositions } = session.config;
  const context = optionalNumber('context', args.context, { integer: true, min: 2, max: nPositions }) ?? Math.min(1024, nPositions);
  const lensName = args.lens ?? 'logit';
  const lens = await loadLens(lensName, session);
  const lenses: { name: string; lens: Lens }[] = [{ name: lensName === 'logit' ? 'logit' : 'tuned', lens }];
  if (lensName !== 'logit') lenses.push({ name: 'logit', lens: session.lens('logit') });

  const corpus = fileCorpus(data, { textKey: args['text-key'] });
  const chunkOptions = { context, eosId: session.eosId, seed, heldOutFraction: heldOutFraction ?? 0, shuffleBuffer: 1 };
  const chunks: AsyncIterable<TokenChunk> =
    heldOutFraction !== undefined ? heldOutChunks(corpus, model.tokenizer, chunkOptions) : allChunks(corpus, model.tokenizer, chunkOptions);
  const threads = optionalNumber('threads', args.threads, { integer: true, min: 1 });
  const evaluation = await session.evaluate(chunks, lenses, {
    maxTokens: tokens,
    batchTokens: optionalNumber('batch-tokens', args['batch-tokens'], { integer: true, min: 1 }),
    sessionOptions: threads ? { intraOpNumThreads: threads } : undefined,
    onProgress: ({ tokens: done }) => {
      if (process.stderr.isTTY) process.stderr.write(`\revaluated ${done.toLocaleString('en-US')} tokens`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  await session.release();
  if (evaluation.chunks === 0) {
    throw new Error(
      `the data has no ${context}-token chunk${heldOutFraction !== undefined ? ' in the held-out split' : ''} — give more text or a shorter --context`,
    );
  }

  const meta = {
    model: session.baseModel,
    lens: lensName,
    data,
    context,
    split: heldOutFraction !== undefined ? { heldout_fraction: heldOutFraction, seed } : null,
  };
  if (args.json) console.log(JSON.stringify(evaluationJson(evaluation, meta)));
  else console.log(renderEvaluation(evaluation, `lens eval: ${session.baseModel}, lens ${lensName}`));
  return 0;
}

export function evaluationJson(evaluation: Evaluation, meta: Record<string, unknown>): Record<string, unknown> {
  return {
    ...meta,
    chunks: evaluation.chunks,
    tokens: evaluation.tokens,
    predicted_tokens: evaluation.predictedTokens,
    bytes: evaluation.bytes,
    rows: evaluation.rows,
    lenses: Object.fromEntries(
      evaluation.lenses.map((l) => [l.name, { cross_entropy: l.crossEntropy, bits_per_byte: l.bitsPerByte, forward_kl: l.forwardKl }]),
    ),
  };
}

/** The paper's table: one line per layer, cross-entropy, bits per byte and KL for each lens. */
export function renderEvaluation(evaluation: Evaluation, title: string): string {
  const names = evaluation.lenses.map((l) => l.name);
  const header = ['layer', ...names.map((n) => `CE ${n}`), ...names.map((n) => `bpb ${n}`), ...names.map((n) => `KL ${n}`)];
  const lines = evaluation.rows.map((row, r) => [
    row,
    ...evaluation.lenses.map((l) => l.crossEntropy[r].toFixed(3)),
    ...evaluation.lenses.map((l) => l.bitsPerByte[r].toFixed(3)),
    ...evaluation.lenses.map((l) => (r === evaluation.rows.length - 1 ? '—' : l.forwardKl[r].toFixed(3))),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((line) => line[c].length)));
  const format = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const n = (x: number) => x.toLocaleString('en-US');
  return [
    `${title}: ${n(evaluation.tokens)} tokens in ${n(evaluation.chunks)} chunk${evaluation.chunks === 1 ? '' : 's'} (${n(evaluation.predictedTokens)} predicted, ${n(evaluation.bytes)} bytes)`,
    'CE = cross-entropy of the next token (nats), bpb = bits per byte, KL = KL(output ‖ lens) (nats)',
    format(header),
    ...lines.map(format),
  ].join('\n');
}

/** A numeric option, checked. */
export function optionalNumber(
  name: string,
  value: string | undefined,
  { integer = false, min, max }: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'}, not '${value}'`);
  }
  if (min !== undefined && n < min) throw new Error(`--${name} must be at least ${min}, not ${n}`);
  if (max !== undefined && n > max) throw new Error(`--${name} must be at most ${max}, not ${n}`);
  return n;
}
