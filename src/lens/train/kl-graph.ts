/**
 * The forward half that the train-step and evaluation graphs share: the target p from the model's
 * output row, the lens logits z for every row, and KL(p ‖ q) = Σ p log p − Σ p·z + logsumexp z.
 * Σ p·z is computed as y·(p·wte), an [N, V]×[V, d] product shared by every row, so the logits are
 * the only [R, N, V] tensor the KL needs.
 */
import type { GraphBuilder } from '../onnx/graph-builder.ts';
import { layerNorm, translate, unembedRows, type LayerNormParts, type UnembeddingNodes } from './unembedding.ts';

/** The inputs both graphs read: rows to decode, the output rows h_L at the same tokens, and the translators. */
export interface LensInputs {
  residual: string; // [R, N, d]
  outputResidual: string; // [N, d]
  weight: string; // [R, d(out), d(in)]
  bias: string; // [R, d]
}

export function lensInputs(g: GraphBuilder, dModel: number): LensInputs {
  const d = dModel;
  return {
    residual: g.input('residual', 'float32', ['R', 'N', d]),
    outputResidual: g.input('output_residual', 'float32', ['N', d]),
    weight: g.input('weight', 'float32', ['R', d, d]),
    bias: g.input('bias', 'float32', ['R', d]),
  };
}

/** The target distribution p = softmax(LN_f(h_L)·wteᵀ) and what the KL reads of it. */
export interface OutputDistribution {
  /** z_L = LN_f(h_L)·wteᵀ, [N, V] */
  logits: string;
  /** logsumexp z_L, [N, 1] */
  logSumExp: string;
  /** p·wte, [N, d] */
  pUnembedded: string;
  /** Σ p log p = Σ p·z_L − logsumexp z_L, [N, 1] */
  pLogP: string;
}

/** p and Σ p log p from the output rows h_L [N, d]; `lastAxis` is the int64 constant [-1]. */
export function outputDistribution(g: GraphBuilder, outputResidual: string, frozen: UnembeddingNodes, lastAxis: string): OutputDistribution {
  const outputNorm = layerNorm(g, outputResidual, frozen); // [N, d]
  const logits = unembedRows(g, outputNorm.output, frozen); // [N, V]
  const p = g.node('Softmax', [logits], { axis: -1 }); // [N, V]
  const pUnembedded = g.node('MatMul', [p, frozen.wte]); // [N, d]  p·wte
  const outputLogSumExp = logSumExp(g, logits, p); // [N, 1]
  const pDotOutputLogits = g.node('ReduceSum', [g.node('Mul', [outputNorm.output, pUnembedded]), lastAxis], { keepdims: 1 }); // [N, 1]  Σ p·z_L
  const pLogP = g.node('Sub', [pDotOutputLogits, outputLogSumExp]); // [N, 1]  Σ p log p
  return { logits, logSumExp: outputLogSumExp, pUnembedded, pLogP };
}

/** The lens rows: x = h + h·Aᵀ + b, y = LN_f(x), z = y·wteᵀ, for residual [R, N, d] → z [R, N, V]. */
export interface LensLogits {
  ln: LayerNormParts; // y = ln.output, [R, N, d]
  logits: string; // [R, N, V]
}

export function lensLogits(g: GraphBuilder, residual: string, weight: string, bias: string, frozen: UnembeddingNodes, dModel: number): LensLogits {
  const x = translate(g, residual, weight, bias); // [R, N, d]
  const ln = layerNorm(g, x, frozen); // [R, N, d]
  const rowsShape = g.node('Shape', [residual]); // [3] = [R, N, d]
  const vocabSize = g.node('Slice', [g.node('Shape', [frozen.wte]), g.int64s([0]), g.int64s([1])]); // [1] = V
  const logitsShape = g.node('Concat', [g.node('Slice', [rowsShape, g.int64s([0]), g.int64s([2])]), vocabSize], { axis: 0 }); // [3] = [R, N, V]
  const flatY = g.node('Reshape', [ln.output, g.int64s([-1, dModel])]); // [R·N, d]
  const logits = g.node('Reshape', [unembedRows(g, flatY, frozen), logitsShape]); // [R, N, V]
  return { ln, logits };
}

/** KL(p ‖ q_r) = Σ p log p − Σ p·z + logsumexp z, [R, N, 1], from y [R, N, d] and logsumexp z [R, N, 1]. */
export function forwardKl(g: GraphBuilder, target: OutputDistribution, y: string, lensLogSumExp: string, lastAxis: string): string {
  const pDotLogits = g.node('ReduceSum', [g.node('Mul', [y, target.pUnembedded]), lastAxis], { keepdims: 1 }); // [R, N, 1]  Σ p·z
  return g.node('Add', [g.node('Sub', [target.pLogP, pDotLogits]), lensLogSumExp]); // [R, N, 1]
}

/** logsumexp(z) over the last axis from z and q = softmax(z): max z − log max q. */
export function logSumExp(g: GraphBuilder, logits: string, probabilities: string): string {
  const maxLogit = g.node('ReduceMax', [logits], { axes: [-1], keepdims: 1 }); // [..., 1]
  const maxProbability = g.node('ReduceMax', [probabilities], { axes: [-1], keepdims: 1 }); // [..., 1]
  return g.node('Sub', [maxLogit, g.node('Log', [maxProbability])]); // [..., 1]
}
