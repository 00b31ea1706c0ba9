/**
 * The lens head graph: residual-stream rows in, per-cell statistics and top-k out. The full
 * [R, T, V] logits are computed and consumed inside the graph and never leave it.
 *
 * Inputs
 *   `residual_stream`    float32 [R, T, d]     rows to decode; the LAST row must be the model's
 *                                              output row (row L of the model graph) — it is the p
 *                                              of forward_kl and gets no translator
 *   `translator_weight`  float32 [R-1, d, d]   A_ℓ for each other row, stored [out, in] like
 *                                              torch.nn.Linear (A_ℓ h = h·Wᵀ); zeros = logit lens
 *   `translator_bias`    float32 [R-1, d]      b_ℓ
 *   `targets`            int64   [T]           target_t = input_ids[t+1]; the last position takes
 *                                              any valid id (the caller masks its statistics)
 *   `k`                  int64   [1]           how many top tokens to return
 *
 * Outputs ([R, T] float32 unless said)
 *   `topk_ids` int64 [R, T, k], `topk_logprobs` [R, T, k]   the k most probable tokens, descending
 *   `entropy`          −Σ q log q
 *   `cross_entropy`    −log q[target]
 *   `forward_kl`       Σ p (log p − log q) = KL(p ‖ q), p = the last row's distribution
 *   `max_probability`  max q
 *   `rank`             1 + #{v : log q_v > log q_target}
 *   `consecutive_kl` [R-1, T]   KL(q_r ‖ q_r−1) = Σ q_r (log q_r − log q_r−1) for rows r = 1…R-1: how far
 *                      each row's distribution moved from the row below it, the later row as the
 *                      reference (as p is for forward_kl, so its last row is forward_kl of row R-2)
 *   `summed_probs` [R, V] Σ_t q_t over the run's positions, from which the bias graph gives the bias
 *                      KL(p̄ ‖ q̄_r): p̄ and q̄_r the last row's and row r's distributions averaged
 *                      over the T positions (the paper's bias of a lens; tuned-lens keeps these
 *                      averages as LogitStats.marginal_probs). A per-row, whole-prompt statistic,
 *                      so unlike the cells it does not survive chunking by positions.
 *   `last_logits` [R, V] the logits z of the run's last position, for a caller that completes that
 *                      column's cross-entropy and rank once the next token is known (fetch it only
 *                      then: it is 13 × 50,257 floats for GPT-2)
 *
 * Per row r: h̃ = h + h·Wᵀ + b (except the last row: h̃ = h), z = LN_f(h̃)·W_Uᵀ, q = softmax(z),
 * natural logs. The softmax is written out so that one exp pass serves everything: with
 * c = z − max z, e = exp c and s = Σ e, log q = c − log s, max q = 1/s,
 * entropy = log s − Σ e·c / s and Σ p log q = Σ e_p·c / s_p − log s (the same with row r−1's c and
 * log s for the consecutive KL's Σ q_r log q_r−1). Ranks and top-k compare the
 * logits z themselves, which order the tokens exactly as log q does.
 *
 * Memory: about four [R, T, V] float32 tensors are alive at the peak (≈ 670 MB for GPT-2 at R = 13,
 * T = 64). Every cell depends only on its own row and position and on the output row at that
 * position, so a caller bounds memory by decoding chunks of rows (each followed by the output row)
 * or chunks of positions (with their targets).
 *
 * Ops: Slice, Transpose, MatMul, Gemm, Reshape, Unsqueeze, Add, Concat, LayerNormalization, ReduceMax, Sub, Exp,
 * ReduceSum, Log, Reciprocal, Mul, Div, Neg, Shape, Expand, GatherElements, Greater, Cast, TopK, Squeeze,
 * Max.
 */
import { float, GraphBuilder, type OnnxModel } from '../onnx/graph-builder.ts';
import type { ModelCheckpoint } from '../model/architecture.ts';

const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT, for Cast

/** The head graph's output names, in the order they are declared. */
export const HEAD_OUTPUTS = [
  'topk_ids',
  'topk_logprobs',
  'entropy',
  'cross_entropy',
  'forward_kl',
  'max_probability',
  'rank',
  'consecutive_kl',
  'summed_probs',
  'last_logits',
] as const;

/**
 * Where an average probability underflows float32 to 0, its log is taken at this floor instead of
 * −∞: a token the output never gives mass to then adds 0 · (finite) = 0 to the bias, not NaN.
 */
const MARGINAL_FLOOR = 1e-30;

export function buildHeadGraph(ckpt: ModelCheckpoint): OnnxModel {
  const { dModel: d, vocabSize: V, layerNormEpsilon: epsilon, lnFWeight, lnFBias, wte } = ckpt.unembedding();
  const g = new GraphBuilder('lens-head');
  const lnFGamma = g.initializer('ln_f.weight', lnFWeight, [d]); // [d]
  const lnFBeta = g.initializer('ln_f.bias', lnFBias, [d]); // [d]
  // W_U as the checkpoint stores it, [V, d]: Gemm reads it transposed (transB), so no transposed copy
  // is made here or by ONNX Runtime (which would fold a Transpose node into a second initializer).
  const unembedding = g.initializer('wte.weight', wte, [V, d]); // [V, d]

  const residualStream = g.input('residual_stream', 'float32', ['R', 'T', d]); // [R, T, d]
  const translatorWeight = g.input('translator_weight', 'float32', ['R-1', d, d]); // [R-1, d(out), d(in)]
  const translatorBias = g.input('translator_bias', 'float32', ['R-1', d]); // [R-1, d]
  const targets = g.input('targets', 'int64', ['T']); // [T]
  const k = g.input('k', 'int64', [1]); // [1]

  const rowAxis = g.int64s([0]);
  const lastAxis = g.int64s([-1]);
  const lastRow = g.int64s([-1]);
  const end = g.int64s([Number.MAX_SAFE_INTEGER]);
  const begin = g.int64s([0]);

  // Translators: h̃ = h + (h·Wᵀ + b) for every row but the last. h·Wᵀ is computed as (W·hᵀ)ᵀ,
  // which transposes the small [R-1, T, d] rows rather than the [R-1, d, d] weights.
  const lensRows = g.node('Slice', [residualStream, begin, lastRow, rowAxis]); // [R-1, T, d]
  const outputRow = g.node('Slice', [residualStream, lastRow, end, rowAxis]); // [1, T, d]
  const lensRowsT = g.node('Transpose', [lensRows], { perm: [0, 2, 1] }); // [R-1, d, T]
  const productT = g.node('MatMul', [translatorWeight, lensRowsT]); // [R-1, d, T]
  const product = g.node('Transpose', [productT], { perm: [0, 2, 1] }); // [R-1, T, d]  h·Wᵀ
  const bias = g.node('Unsqueeze', [translatorBias, g.int64s([1])]); // [R-1, 1, d]
  const translation = g.node('Add', [product, bias]); // [R-1, T, d]  h·Wᵀ + b
  const translated = g.node('Add', [lensRows, translation]); // [R-1, T, d]
  const h = g.node('Concat', [translated, outputRow], { axis: 0 }); // [R, T, d]

  // Unembed: z = LN_f(h̃)·W_Uᵀ
  const normed = g.node('LayerNormalization', [h, lnFGamma, lnFBeta], { axis: -1, epsilon: float(epsilon) }); // [R, T, d]
  const cells = g.node('Reshape', [normed, g.int64s([-1, d])]); // [R·T, d]
  const cellLogits = g.node('Gemm', [cells, unembedding], { transB: 1 }); // [R·T, V]
  const logitsShape = g.node('Concat', [g.node('Slice', [g.node('Shape', [normed]), begin, g.int64s([2])]), g.int64s([V])], { axis: 0 }); // [3] = [R, T, V]
  const logits = g.node('Reshape', [cellLogits, logitsShape]); // [R, T, V]

  // Softmax, written out: c = z − max z, e = exp c, s = Σ e, log q = c − log s
  const max = g.node('ReduceMax', [logits], { axes: [-1], keepdims: 1 }); // [R, T, 1]
  const centered = g.node('Sub', [logits, max]); // [R, T, V]
  const exp = g.node('Exp', [centered]); // [R, T, V]
  const sum = g.node('ReduceSum', [exp, lastAxis], { keepdims: 1 }); // [R, T, 1]
  const logSum = g.node('Log', [sum]); // [R, T, 1]

  // max q = e^0 / s
  const maxProbability = g.node('Reciprocal', [sum]); // [R, T, 1]

  // entropy = −Σ q log q = log s − Σ e·c / s
  const expCentered = g.node('Mul', [exp, centered]); // [R, T, V]
  const expDotCentered = g.node('ReduceSum', [expCentered, lastAxis], { keepdims: 1 }); // [R, T, 1]  Σ e·c
  const expectedCentered = g.node('Div', [expDotCentered, sum]); // [R, T, 1]  Σ q·c
  const entropy = g.node('Sub', [logSum, expectedCentered]); // [R, T, 1]

  // forward_kl = Σ p log p − Σ p log q, with p = q of the last row and Σ p log q = Σ e_p·c / s_p − log s
  const expP = g.node('Slice', [exp, lastRow, end, rowAxis]); // [1, T, V]
  const sumP = g.node('Slice', [sum, lastRow, end, rowAxis]); // [1, T, 1]
  const expPCentered = g.node('Mul', [centered, expP]); // [R, T, V]
  const expPDotCentered = g.node('ReduceSum', [expPCentered, lastAxis], { keepdims: 1 }); // [R, T, 1]  Σ e_p·c
  const expectedUnderP = g.node('Div', [expPDotCentered, sumP]); // [R, T, 1]  Σ p·c
  const crossUnderP = g.node('Sub', [expectedUnderP, logSum]); // [R, T, 1]  Σ p log q
  const negEntropyP = g.node('Slice', [crossUnderP, lastRow, end, rowAxis]); // [1, T, 1]  Σ p log p
  const forwardKl = g.node('Sub', [negEntropyP, crossUnderP]); // [R, T, 1]

  // consecutive_kl = Σ q_r log q_r − Σ q_r log q_r−1, with Σ q_r log q_r−1 = Σ e_r·c_r−1 / s_r − log s_r−1
  const upper = (x: string) => g.node('Slice', [x, g.int64s([1]), end, rowAxis]); // rows 1…R-1
  const lower = (x: string) => g.node('Slice', [x, begin, lastRow, rowAxis]); // rows 0…R-2
  // Σ over V as one dot product per cell, a batched MatMul [R-1, T, 1, V]·[R-1, T, V, 1]: no [R-1, T, V]
  // product is made, and R = 1 (no row below anything) gives an empty result rather than a failure.
  const expRow = g.node('Unsqueeze', [upper(exp), g.int64s([2])]); // [R-1, T, 1, V]
  const centeredColumn = g.node('Unsqueeze', [lower(centered), g.int64s([3])]); // [R-1, T, V, 1]
  const expDotBelow = g.node('Squeeze', [g.node('MatMul', [expRow, centeredColumn]), lastAxis]); // [R-1, T, 1]  Σ e_r·c_r−1
  const crossBelow = g.node('Sub', [g.node('Div', [expDotBelow, upper(sum)]), lower(logSum)]); // [R-1, T, 1]  Σ q_r log q_r−1
  const negEntropyUpper = upper(g.node('Neg', [entropy])); // [R-1, T, 1]  Σ q_r log q_r
  const consecutiveKl = g.node('Sub', [negEntropyUpper, crossBelow]); // [R-1, T, 1]

  // cross_entropy = −log q[target] = log s − c[target]
  const targetShape = g.node('Shape', [max]); // [3] = [R, T, 1]
  const targetColumn = g.node('Unsqueeze', [targets, g.int64s([0, 2])]); // [1, T, 1]
  const targetIndex = g.node('Expand', [targetColumn, targetShape]); // [R, T, 1]
  const targetLogit = g.node('GatherElements', [logits, targetIndex], { axis: -1 }); // [R, T, 1]
  const targetCentered = g.node('Sub', [targetLogit, max]); // [R, T, 1]
  const crossEntropy = g.node('Sub', [logSum, targetCentered]); // [R, T, 1]

  // rank = 1 + #{v : z_v > z_target}
  const above = g.node('Greater', [logits, targetLogit]); // [R, T, V] bool
  const aboveOnes = g.node('Cast', [above], { to: FLOAT }); // [R, T, V] 0 or 1
  const aboveCount = g.node('ReduceSum', [aboveOnes, lastAxis], { keepdims: 1 }); // [R, T, 1]
  const rank = g.node('Add', [aboveCount, g.scalar(1)]); // [R, T, 1]

  // top-k by logit, with log q = c − log s
  const [topLogits, topIds] = g.node('TopK', [logits, k], { axis: -1, largest: 1, sorted: 1 }, 2); // [R, T, k] ×2
  const topCentered = g.node('Sub', [topLogits, max]); // [R, T, k]
  const topLogprobs = g.node('Sub', [topCentered, logSum]); // [R, T, k]

  // The bias's sum over positions, Σ_t q_t = Σ_t e_t / s_t per row, as one batched MatMul of the
  // weights 1/s [R, 1, T] with e [R, T, V], so no further [R, T, V] tensor is made. The rest of the
  // bias is the bias graph's (buildBiasGraph): ONNX Runtime runs every node of a graph whatever is
  // fetched, and a keystroke's head run, which never shows the bias, would pay for its [R, V] log.
  const weights = g.node('Transpose', [maxProbability], { perm: [0, 2, 1] }); // [R, 1, T]  1/s
  const summedQ = g.node('MatMul', [weights, exp]); // [R, 1, V]  Σ_t q_t
  const summedProbs = g.node('Squeeze', [summedQ, g.int64s([1])]); // [R, V]

  declareHeadOutputs(g, lastAxis, { topIds, topLogprobs, entropy, crossEntropy, forwardKl, maxProbability, rank, summedProbs });
  g.output('consecutive_kl', 'float32', ['R-1', 'T'], g.node('Squeeze', [consecutiveKl, lastAxis])); // [R-1, T]
  const lastPosition = g.node('Slice', [logits, lastRow, end, g.int64s([1])]); // [R, 1, V]
  g.output('last_logits', 'float32', ['R', V], g.node('Squeeze', [lastPosition, g.int64s([1])])); // [R, V]
  return g.toExternalModel(17);
}

/**
 * bias = KL(p̄ ‖ q̄_r) per row, from the head's `summed_probs` Σ_t q_t [R, V] (the last row's is p's):
 * q̄ = Σ_t q_t / T, dividing by the total (T). No weights; run only when the bias is shown.
 */
export function buildBiasGraph(): OnnxModel {
  const g = new GraphBuilder('lens-bias');
  const summedProbs = g.input('summed_probs', 'float32', ['R', 'V']); // [R, V]
  const rowAxis = g.int64s([0]);
  const end = g.int64s([Number.MAX_SAFE_INTEGER]);
  const lastRow = g.int64s([-1]);
  const summedQ = g.node('Unsqueeze', [summedProbs, g.int64s([1])]); // [R, 1, V]
  const total = g.node('ReduceSum', [summedQ, g.int64s([-1])], { keepdims: 1 }); // [R, 1, 1]  T
  const marginal = g.node('Div', [summedQ, total]); // [R, 1, V]  q̄
  const logMarginal = g.node('Log', [g.node('Max', [marginal, g.scalar(MARGINAL_FLOOR)])]); // [R, 1, V]
  const marginalP = g.node('Slice', [marginal, lastRow, end, rowAxis]); // [1, 1, V]  p̄
  const logMarginalP = g.node('Slice', [logMarginal, lastRow, end, rowAxis]); // [1, 1, V]
  const marginalGap = g.node('Sub', [logMarginalP, logMarginal]); // [R, 1, V]  log p̄ − log q̄
  const biasTerms = g.node('Mul', [marginalP, marginalGap]); // [R, 1, V]
  g.output('bias', 'float32', ['R'], g.node('ReduceSum', [biasTerms, g.int64s([1, 2])], { keepdims: 0 })); // [R]
  return g.toExternalModel(17);
}

/** The per-cell values a head graph computes, each [R, T, 1] (top-k: [R, T, k]), and the bias's sums [R, 1, V]. */
export interface HeadValues {
  topIds: string;
  topLogprobs: string;
  entropy: string;
  crossEntropy: string;
  forwardKl: string;
  maxProbability: string;
  rank: string;
  /** Σ_t q_t [R, V], for the bias graph. Left out by benchmark variants that time the per-cell work only. */
  summedProbs?: string;
}

/** Declares the outputs under HEAD_OUTPUTS' names, in their order, the cell values squeezed to [R, T]. */
export function declareHeadOutputs(g: GraphBuilder, lastAxis: string, v: HeadValues): void {
  g.output('topk_ids', 'int64', ['R', 'T', 'k'], v.topIds);
  g.output('topk_logprobs', 'float32', ['R', 'T', 'k'], v.topLogprobs);
  const cell = (name: string, value: string) => g.output(name, 'float32', ['R', 'T'], g.node('Squeeze', [value, lastAxis]));
  cell('entropy', v.entropy);
  cell('cross_entropy', v.crossEntropy);
  cell('forward_kl', v.forwardKl);
  cell('max_probability', v.maxProbability);
  cell('rank', v.rank);
  if (v.summedProbs) g.output('summed_probs', 'float32', ['R', 'V'], v.summedProbs);
}

/** [rows, cols] → [cols, rows], in tiles so that both sides stay in cache. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  const tile = 64;
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const r1 = Math.min(r0 + tile, rows);
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const c1 = Math.min(c0 + tile, cols);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) out[c * rows + r] = data[r * cols + c];
      }
    }
  }
  return out;
}
