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
import { forwardKl, lensInputs, lensLogits, outputDistribution } from './kl-graph.ts';
import { unembeddingInitializers, type Unembedding } from './unembedding.ts';

export function buildLensLossGraph(u: Unembedding): Uint8Array {
  const d = u.dModel;
  const g = new GraphBuilder('tuned-lens-loss');
  const frozen = unembeddingInitializers(g, u);

  const { residual, outputResidual, weight, bias } = lensInputs(g, d);
  const targets = g.input('targets', 'int64', ['N']); // [N]
  const lastAxis = g.int64s([-1]);

  // The model's output row: p, Σ p log p, and its own cross-entropy
  const target = outputDistribution(g, outputResidual, frozen, lastAxis);
  const targetColumn = g.node('Unsqueeze', [targets, g.int64s([1])]); // [N, 1]
  const outputTargetLogit = g.node('GatherElements', [target.logits, targetColumn], { axis: -1 }); // [N, 1]
  const outputCrossEntropy = g.node('Sub', [target.logSumExp, outputTargetLogit]); // [N, 1]

  // The lens rows: z = LN_f(h + h·Aᵀ + b)·wteᵀ, and forward_kl
  const { ln, logits } = lensLogits(g, residual, weight, bias, frozen, d); // [R, N, V]
  const lensLogSumExp = g.node('ReduceLogSumExp', [logits], { axes: [-1], keepdims: 1 }); // [R, N, 1]
  const kl = forwardKl(g, target, ln.output, lensLogSumExp, lastAxis); // [R, N, 1]

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
