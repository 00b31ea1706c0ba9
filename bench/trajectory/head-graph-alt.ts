/**
 * Candidate rewrites of the lens head graph (src/lens/lens/head-graph.ts), built only in the benchmark
 * to measure what a change to src/lens would buy. Same inputs, same outputs, same math (checked against
 * the real graph by profile-core.ts); each option changes one thing:
 *
 * - `kl: 'gemm'` — Σ_v p_v·z_{r,v} = LN_f(h̃_r) · (W_Uᵀ p): the expected logit under the output
 *   distribution p is one [T, V] × [V, d] Gemm (1/13 of the unembedding's FLOPs) and a dot product
 *   over d, instead of a Mul and a ReduceSum over the whole [R, T, V] (and the [1, T, V] Slice of exp).
 * - `rank: 'where'` — Where(z > z_target, 1, 0) instead of Cast(bool → float) before the ReduceSum.
 * - `softmax: 'logsoftmax'` — ORT's LogSoftmax kernel for log q, then Exp for q, instead of
 *   ReduceMax / Sub / Exp / ReduceSum / Log written out; top-k runs on log q (no Sub afterwards).
 */
import type { GPT2Checkpoint } from '../../src/lens/model/gpt2-checkpoint.ts';
import { declareHeadOutputs, transpose } from '../../src/lens/lens/head-graph.ts';
import { float, GraphBuilder } from '../../src/lens/onnx/graph-builder.ts';

export interface HeadAltOptions {
  kl: 'elementwise' | 'gemm';
  rank: 'cast' | 'where';
  softmax: 'manual' | 'logsoftmax';
}

const FLOAT = 1;

export function buildHeadGraphAlt(ckpt: GPT2Checkpoint, options: HeadAltOptions): Uint8Array {
  const { dModel: d, vocabSize: V, layerNormEpsilon: epsilon } = ckpt.config;
  const g = new GraphBuilder('lens-head-alt');
  const lnF = (name: string) => g.initializer(`ln_f.${name}`, ckpt.get(`ln_f.${name}`).data, [d]);
  const unembedding = g.initializer('wte.weight.T', transpose(ckpt.get('wte.weight').data, V, d), [d, V]); // [d, V]

  const residualStream = g.input('residual_stream', 'float32', ['R', 'T', d]);
  const translatorWeight = g.input('translator_weight', 'float32', ['R-1', d, d]);
  const translatorBias = g.input('translator_bias', 'float32', ['R-1', d]);
  const targets = g.input('targets', 'int64', ['T']);
  const k = g.input('k', 'int64', [1]);

  const rowAxis = g.int64s([0]);
  const lastAxis = g.int64s([-1]);
  const lastRow = g.int64s([-1]);
  const end = g.int64s([Number.MAX_SAFE_INTEGER]);
  const begin = g.int64s([0]);

  // Translators, as in head-graph.ts.
  const lensRows = g.node('Slice', [residualStream, begin, lastRow, rowAxis]);
  const outputRow = g.node('Slice', [residualStream, lastRow, end, rowAxis]);
  const lensRowsT = g.node('Transpose', [lensRows], { perm: [0, 2, 1] });
  const productT = g.node('MatMul', [translatorWeight, lensRowsT]);
  const product = g.node('Transpose', [productT], { perm: [0, 2, 1] });
  const bias = g.node('Unsqueeze', [translatorBias, g.int64s([1])]);
  const translated = g.node('Add', [lensRows, g.node('Add', [product, bias])]);
  const h = g.node('Concat', [translated, outputRow], { axis: 0 }); // [R, T, d]
  const normed = g.node('LayerNormalization', [h, lnF('weight'), lnF('bias')], { axis: -1, epsilon: float(epsilon) });
  const logits = g.node('MatMul', [normed, unembedding]); // [R, T, V]

  let klValue = '';
  /** forward_kl = Σ p log p − Σ p log q, where Σ p log p is the last row's Σ p log q. */
  const klFrom = (crossUnderP: string): void => {
    const negEntropyP = g.node('Slice', [crossUnderP, lastRow, end, rowAxis]);
    klValue = g.node('Sub', [negEntropyP, crossUnderP]);
  };
  /** Σ_v p_v z_{r,v} = LN_f(h̃_r) · (W_Uᵀ p): u = p · unembeddingᵀ ([T, V] × [V, d]), then a dot over d. */
  const expectedUnderP = (p: string): string => {
    const pMatrix = g.node('Reshape', [p, g.int64s([-1, V])]); // [T, V]
    const u = g.node('Gemm', [pMatrix, unembedding], { transB: 1 }); // [T, d]
    return g.node('ReduceSum', [g.node('Mul', [normed, u]), lastAxis], { keepdims: 1 }); // [R, T, 1]
  };

  const targetColumn = g.node('Unsqueeze', [targets, g.int64s([0, 2])]); // [1, T, 1]

  let logSum: string; // log Σ exp(z − m), [R, T, 1]
  let max: string; // m, [R, T, 1]  (for 'logsoftmax', m = 0 and logSum = logsumexp z)
  let maxProbability: string;
  let entropy: string;
  let logq: string | undefined;
  let q: string; // [R, T, V]: exp(c) for 'manual' (unnormalised, with sum), softmax for 'logsoftmax'
  let sum: string;
  let targetLogit: string;
  let crossEntropy: string;
  const targetShape = () => g.node('Shape', [maxProbability]);

  if (options.softmax === 'manual') {
    max = g.node('ReduceMax', [logits], { axes: [-1], keepdims: 1 });
    const centered = g.node('Sub', [logits, max]);
    q = g.node('Exp', [centered]);
    sum = g.node('ReduceSum', [q, lastAxis], { keepdims: 1 });
    logSum = g.node('Log', [sum]);
    maxProbability = g.node('Reciprocal', [sum]);
    const expDotCentered = g.node('ReduceSum', [g.node('Mul', [q, centered]), lastAxis], { keepdims: 1 });
    entropy = g.node('Sub', [logSum, g.node('Div', [expDotCentered, sum])]);
    const targetIndex = g.node('Expand', [targetColumn, targetShape()]);
    targetLogit = g.node('GatherElements', [logits, targetIndex], { axis: -1 });
    crossEntropy = g.node('Sub', [logSum, g.node('Sub', [targetLogit, max])]);
    if (options.kl === 'elementwise') {
      const expP = g.node('Slice', [q, lastRow, end, rowAxis]);
      const sumP = g.node('Slice', [sum, lastRow, end, rowAxis]);
      const expPDotCentered = g.node('ReduceSum', [g.node('Mul', [centered, expP]), lastAxis], { keepdims: 1 });
      const crossUnderP = g.node('Sub', [g.node('Div', [expPDotCentered, sumP]), logSum]);
      klFrom(crossUnderP);
    } else {
      const p = g.node('Div', [g.node('Slice', [q, lastRow, end, rowAxis]), g.node('Slice', [sum, lastRow, end, rowAxis])]); // [1, T, V]
      const expectedLogit = expectedUnderP(p); // [R, T, 1]  Σ p z
      klFrom(g.node('Sub', [g.node('Sub', [expectedLogit, max]), logSum])); // Σ p log q = Σ p z − m − log s
    }
  } else {
    logq = g.node('LogSoftmax', [logits], { axis: -1 }); // [R, T, V]
    q = g.node('Exp', [logq]);
    const maxLogq = g.node('ReduceMax', [logq], { axes: [-1], keepdims: 1 });
    maxProbability = g.node('Exp', [maxLogq]);
    entropy = g.node('Neg', [g.node('ReduceSum', [g.node('Mul', [q, logq]), lastAxis], { keepdims: 1 })]);
    const targetIndex = g.node('Expand', [targetColumn, targetShape()]);
    const targetLogq = g.node('GatherElements', [logq, targetIndex], { axis: -1 });
    targetLogit = g.node('GatherElements', [logits, targetIndex], { axis: -1 });
    crossEntropy = g.node('Neg', [targetLogq]);
    if (options.kl === 'elementwise') {
      const p = g.node('Slice', [q, lastRow, end, rowAxis]);
      klFrom(g.node('ReduceSum', [g.node('Mul', [logq, p]), lastAxis], { keepdims: 1 }));
    } else {
      const p = g.node('Slice', [q, lastRow, end, rowAxis]);
      const logSumExp = g.node('Sub', [targetLogit, targetLogq]); // z_t − log q_t = logsumexp z
      klFrom(g.node('Sub', [expectedUnderP(p), logSumExp]));
    }
    max = '';
    logSum = '';
  }

  // rank = 1 + #{v : z_v > z_target}
  const above = g.node('Greater', [logits, targetLogit]);
  const ones = options.rank === 'cast' ? g.node('Cast', [above], { to: FLOAT }) : g.node('Where', [above, g.scalar(1), g.scalar(0)]);
  const rank = g.node('Add', [g.node('ReduceSum', [ones, lastAxis], { keepdims: 1 }), g.scalar(1)]);

  // top-k
  let topIds: string;
  let topLogprobs: string;
  if (logq) {
    [topLogprobs, topIds] = g.node('TopK', [logq, k], { axis: -1, largest: 1, sorted: 1 }, 2);
  } else {
    const [topLogits, ids] = g.node('TopK', [logits, k], { axis: -1, largest: 1, sorted: 1 }, 2);
    topIds = ids;
    topLogprobs = g.node('Sub', [g.node('Sub', [topLogits, max]), logSum]);
  }

  declareHeadOutputs(g, lastAxis, { topIds, topLogprobs, entropy, crossEntropy, forwardKl: klValue, maxProbability, rank });
  return g.toModel(17);
}
