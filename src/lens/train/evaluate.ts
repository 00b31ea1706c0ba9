/**
 * Evaluating lenses on text, the paper's table: per layer, the cross-entropy of the next token
 * (nats), bits per byte, and KL to the model's output — for several lenses side by side (a tuned
 * lens and the logit lens), each chunk's residual stream computed once and decoded by every lens.
 *
 * Definitions, over the evaluated chunks (each chunk is read in its own context of `context` tokens):
 *   cross_entropy_ℓ  = mean over positions t = 0..T−2 of −log q_ℓ(ids[t+1])           (nats/token)
 *   bits_per_byte_ℓ  = Σ_t −log q_ℓ(ids[t+1]) / ln 2 / Σ_t bytes(ids[t+1])
 *                      — the bytes of exactly the tokens predicted (bitsPerByte in token-bytes.ts,
 *                      the site's one definition); the first token of each chunk is context only
 *                      and is neither predicted nor counted
 *   forward_kl_ℓ     = mean over all positions t = 0..T−1 of KL(p_t ‖ q_ℓ,t)            (nats)
 * The row "output" is the model itself (its forward_kl is 0).
 */
import type { InferenceSession as OrtSession } from 'onnxruntime-common';
import type { Ort } from '../lens-model.ts';
import { checkLensFitsModel, type Lens } from '../lens/tuned-lens.ts';
import type { Tensor32 } from '../tensor.ts';
import { buildLensLossGraph } from './lens-loss-graph.ts';
import { RowBatcher, tokensPerRun } from './row-batches.ts';
import { bitsPerByte } from './token-bytes.ts';
import { sessionOptions, type SessionOptions } from './train-step.ts';
import type { Unembedding } from './unembedding.ts';

export interface EvalRun {
  ort: Ort;
  modelName: string;
  unembedding: Unembedding;
  numLayers: number;
  residualStream(ids: number[]): Promise<Tensor32>;
  /** The chunks to evaluate (token ids, each at most n_positions long). */
  chunks: AsyncIterable<{ ids: number[] }>;
  /** The lenses to compare, by name (e.g. "tuned", "logit"). */
  lenses: { name: string; lens: Lens }[];
  /** Bytes of text per token id (token-bytes.ts). */
  tokenBytes: ArrayLike<number>;
  /** Stop after the chunk that reaches this many tokens. */
  maxTokens?: number;
  batchTokens?: number;
  /** Bound on the [L, N, V] logits of one graph run, in elements (2²⁸). */
  maxLogitsElements?: number;
  sessionOptions?: SessionOptions;
  signal?: AbortSignal;
  onProgress?(progress: { tokens: number; chunks: number }): void;
}

export interface LensEvaluation {
  name: string;
  /** Per row (layers 0..L−1, then "output"). */
  crossEntropy: number[];
  bitsPerByte: number[];
  forwardKl: number[];
}

export interface Evaluation {
  rows: string[];
  chunks: number;
  /** Positions evaluated (for forward_kl). */
  tokens: number;
  /** Positions with a next token (for cross_entropy and bits per byte). */
  predictedTokens: number;
  /** UTF-8 bytes of the predicted tokens. */
  bytes: number;
  lenses: LensEvaluation[];
}

export async function evaluateLenses(run: EvalRun): Promise<Evaluation> {
  const { numLayers: L, unembedding: u } = run;
  const d = u.dModel;
  for (const { lens } of run.lenses) checkLensFitsModel(lens, { name: run.modelName, dModel: d, numLayers: L });
  const batchTokens = run.batchTokens ?? tokensPerRun(L, u.vocabSize, run.maxLogitsElements ?? 2 ** 28, 4096);
  const session = await run.ort.InferenceSession.create(buildLensLossGraph(u), sessionOptions(run.sessionOptions ?? {}));
  const { Tensor } = run.ort;

  const sums = run.lenses.map(() => ({ ce: new Float64Array(L + 1), kl: new Float64Array(L + 1) }));
  let tokens = 0;
  let predicted = 0;
  let bytes = 0;
  let chunks = 0;

  const score = async (batch: { residual: Float32Array; output: Float32Array; targets: BigInt64Array; hasTarget: Uint8Array; tokens: number }) => {
    const n = batch.tokens;
    for (const [k, { lens }] of run.lenses.entries()) {
      const out: OrtSession.ReturnType = await session.run({
        residual: new Tensor('float32', batch.residual.subarray(0, L * n * d), [L, n, d]),
        output_residual: new Tensor('float32', batch.output.subarray(0, n * d), [n, d]),
        weight: new Tensor('float32', lens.translatorWeight, [L, d, d]),
        bias: new Tensor('float32', lens.translatorBias, [L, d]),
        targets: new Tensor('int64', batch.targets.subarray(0, n), [n]),
      });
      const ce = out.cross_entropy.data as Float32Array;
      const kl = out.forward_kl.data as Float32Array;
      const outputCe = out.output_cross_entropy.data as Float32Array;
      for (let l = 0; l < L; l++) {
        for (let t = 0; t < n; t++) {
          if (batch.hasTarget[t]) sums[k].ce[l] += ce[l * n + t];
          sums[k].kl[l] += kl[l * n + t];
        }
      }
      for (let t = 0; t < n; t++) if (batch.hasTarget[t]) sums[k].ce[L] += outputCe[t];
    }
  };

  const batcher = new RowBatcher(L, d, batchTokens);
  try {
    for await (const { ids } of run.chunks) {
      if (run.signal?.aborted) break;
      const stream = await run.residualStream(ids);
      for (const batch of batcher.add(stream, ids)) await score(batch);
      tokens += ids.length;
      predicted += ids.length - 1;
      for (let t = 1; t < ids.length; t++) bytes += run.tokenBytes[ids[t]];
      chunks++;
      run.onProgress?.({ tokens, chunks });
      if (run.maxTokens !== undefined && tokens >= run.maxTokens) break;
    }
    const last = batcher.flush();
    if (last) await score(last);
  } finally {
    await session.release();
  }

  const rows = [...Array.from({ length: L }, (_, l) => String(l)), 'output'];
  return {
    rows,
    chunks,
    tokens,
    predictedTokens: predicted,
    bytes,
    lenses: run.lenses.map(({ name }, k) => {
      const crossEntropy = Array.from(sums[k].ce, (s) => s / predicted);
      return {
        name,
        crossEntropy,
        bitsPerByte: Array.from(sums[k].ce, (s) => bitsPerByte(s, bytes)),
        forwardKl: Array.from(sums[k].kl, (s, r) => (r === L ? 0 : s / tokens)),
      };
    }),
  };
}
