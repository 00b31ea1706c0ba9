/**
 * The evaluation graph: per-token cross-entropy and KL to the model's output for a lens, the
 * forward half of the train-step graph plus the targets. Like the train-step graph it takes the
 * output row h_L rather than log-probs, and tokens are independent, so a caller evaluates any
 * number of tokens in batches of N.
 *
 * Inputs
 *   `residual`         float32 [R, N, d]   rows to decode
 *   `output_residual`  float32 [N, d]      h_L at the same tokens (p = softmax(LN_f(h_L)·wteᵀ))
 *   `weight`           float32 [R, d, d]   translators (zeros = the logit lens)
 *   `bias`             float32 [R, d]
 *   `targets`          int64   [N]         the next token at each position (any valid id where there
 *                                          is none; the caller ignores those cells)
 *
 * Outputs
 *   `cross_entropy`         float32 [R, N]   −log q_r[target] = logsumexp z − z[target]
 *   `forward_kl`            float32 [R, N]   KL(p ‖ q_r) = Σ p log p − Σ p·z + logsumexp z
 *   `output_cross_entropy`  float32 [N]      the model's own −log p[target]
 *
 * Σ p·z is y·(p·wte) as in the train-step graph, so only the logits themselves are [R, N, V].
 *
 * Ops: those of the train-step graph, plus ReduceLogSumExp, Unsqueeze, Expand, GatherElements, Squeeze.
 */
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { logSumExp } from './train-step-graph.ts';
import { layerNorm, translate, unembeddingInitializers, unembedRows, type Unembedding } from './unembedding.ts';

export function buildLensLossGraph(u: Unembedding): Uint8Array {
  const d = u.dModel;
  const g = new GraphBuilder('tuned-lens-loss');
  const frozen = unembeddingInitializers(g, u);

  const residual = g.input('residual', 'float32', ['R', 'N', d]); // [R, N, d]
  const outputResidual = g.input('output_residual', 'float32', ['N', d]); // [N, d]
  const weight = g.input('weight', 'float32', ['R', d, d]); // [R, d, d]
  const bias = g.input('bias', 'float32', ['R', d]); // [R, d]
  const targets = g.input('targets', 'int64', ['N']); // [N]
  const lastAxis = g.int64s([-1]);

  // The model's output row: p, Σ p log p, and its own cross-entropy
  const outputNorm = layerNorm(g, outputResidual, frozen); // [N, d]
  const outputLogits = unembedRows(g, outputNorm.output, frozen); // [N, V]
  const p = g.node('Softmax', [outputLogits], { axis: -1 }); // [N, V]
  const pUnembedded = g.node('MatMul', [p, frozen.wte]); // [N, d]  p·wte
  const outputLogSumExp = logSumExp(g, outputLogits, p); // [N, 1]
  const pDotOutputLogits = g.node('ReduceSum', [g.node('Mul', [outputNorm.output, pUnembedded]), lastAxis], { keepdims: 1 }); // [N, 1]
  const pLogP = g.node('Sub', [pDotOutputLogits, outputLogSumExp]); // [N, 1]  Σ p log p
  const targetColumn = g.node('Unsqueeze', [targets, g.int64s([1])]); // [N, 1]
  const outputTargetLogit = g.node('GatherElements', [outputLogits, targetColumn], { axis: -1 }); // [N, 1]
  const outputCrossEntropy = g.node('Sub', [outputLogSumExp, outputTargetLogit]); // [N, 1]

  // The lens rows: z = LN_f(h + h·Aᵀ + b)·wteᵀ
  const x = translate(g, residual, weight, bias); // [R, N, d]
  const ln = layerNorm(g, x, frozen); // [R, N, d]
  const rowsShape = g.node('Shape', [residual]); // [3] = [R, N, d]
  const vocabSize = g.node('Slice', [g.node('Shape', [frozen.wte]), g.int64s([0]), g.int64s([1])]); // [1] = V
  const logitsShape = g.node('Concat', [g.node('Slice', [rowsShape, g.int64s([0]), g.int64s([2])]), vocabSize], { axis: 0 }); // [3] = [R, N, V]
  const flatY = g.node('Reshape', [ln.output, g.int64s([-1, d])]); // [R·N, d]
  const logits = g.node('Reshape', [unembedRows(g, flatY, frozen), logitsShape]); // [R, N, V]
  const lensLogSumExp = g.node('ReduceLogSumExp', [logits], { axes: [-1], keepdims: 1 }); // [R, N, 1]

  // forward_kl = Σ p log p − Σ p·z + logsumexp z
  const pDotLogits = g.node('ReduceSum', [g.node('Mul', [ln.output, pUnembedded]), lastAxis], { keepdims: 1 }); // [R, N, 1]
  const kl = g.node('Add', [g.node('Sub', [pLogP, pDotLogits]), lensLogSumExp]); // [R, N, 1]

  // cross_entropy = logsumexp z − z[target]
  const targetShape = g.node('Shape', [lensLogSumExp]); // [3] = [R, N, 1]
  const targetIndex = g.node('Expand', [g.node('Unsqueeze', [targetColumn, g.int64s([0])]), targetShape]); // [R, N, 1]
  const targetLogit = g.node('GatherElements', [logits, targetIndex], { axis: -1 }); // [R, N, 1]
  const crossEntropy = g.node('Sub', [lensLogSumExp, targetLogit]); // [R, N, 1]

  g.output('cross_entropy', 'float32', ['R', 'N'], g.node('Squeeze', [crossEntropy, lastAxis]));
  g.output('forward_kl', 'float32', ['R', 'N'], g.node('Squeeze', [kl, lastAxis]));
  g.output('output_cross_entropy', 'float32', ['N'], g.node('Squeeze', [outputCrossEntropy, lastAxis]));
  return g.toModel(17);
}
