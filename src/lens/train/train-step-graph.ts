/**
 * One training step of the tuned lens as an ONNX graph: the per-layer loss and its gradients with
 * respect to the translators, the forward and the backward pass written out by hand (no autograd).
 *
 * Inputs
 *   `residual`         float32 [R, N, d]   residual-stream rows to decode (rows 0..L-1 of the model
 *                                          graph, or any subset of them), N tokens each
 *   `output_residual`  float32 [N, d]      the model's last row h_L at the same N tokens; the target
 *                                          distribution p = softmax(LN_f(h_L)·wteᵀ) is computed here,
 *                                          so only [N, d] crosses instead of [N, V] log-probs
 *   `weight`           float32 [R, d, d]   translators A_r, stored [out, in] like torch.nn.Linear
 *   `bias`             float32 [R, d]      b_r
 *
 * Outputs
 *   `loss`         float32 [R]         mean over the N tokens of KL(p ‖ q_r)
 *   `grad_weight`  float32 [R, d, d]   ∂loss_r/∂A_r, [out, in]
 *   `grad_bias`    float32 [R, d]      ∂loss_r/∂b_r
 *
 * Forward, per row r and token n (natural logs):
 *   x = h + h·Aᵀ + b,   y = LN_f(x) = x̂·γ + β with x̂ = (x − μ)/σ,   z = y·wteᵀ,
 *   q = softmax(z),     KL(p ‖ q) = Σ p log p − Σ p·z + logsumexp(z).
 * Σ_v p_v z_v is computed as y·(p·wte), an [N, V]×[V, d] product shared by every row, and
 * logsumexp(z) as max z − log max q (max q ≥ 1/V, so the log never meets an underflow): the
 * [R, N, V] tensors are made by one Gemm and one Softmax and read by two ReduceMax and one MatMul,
 * and nothing elementwise runs over them.
 *
 * Backward, with loss_r the mean over N tokens:
 *   ∂loss/∂z = (q − p)/N                                              [R, N, V], never formed:
 *   ∂loss/∂y = (q − p)·wte / N = (q·wte − p·wte) / N                  [R, N, d]
 *   (p·wte is already there from the forward pass, so the backward reads q once, in one MatMul)
 *   ∂loss/∂x = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)),  g = ∂loss/∂y · γ    (LayerNorm backward)
 *   ∂loss/∂A = (∂loss/∂x)ᵀ·h per row, [d(out), d(in)];  ∂loss/∂b = Σ_n ∂loss/∂x.
 *
 * Memory: the [R, N, V] tensors are the logits z and q = softmax(z), both alive at the peak
 * (≈ 2·R·N·V·4 bytes: 2.5 GB for GPT-2 at R = 12, N = 512). Tokens are independent,
 * so a caller bounds memory by choosing N and accumulating the gradients of several runs, each
 * weighted by its share of the tokens.
 *
 * Ops: Transpose, MatMul, Unsqueeze, Add, ReduceMean, Sub, Mul, Sqrt, Reciprocal, Shape, Slice,
 * Concat, Reshape, Gemm, Softmax, ReduceMax, Log, ReduceSum, Cast, Div.
 */
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { forwardKl, lensInputs, lensLogits, logSumExp, outputDistribution } from './kl-graph.ts';
import { unembeddingInitializers, type Unembedding } from './unembedding.ts';

const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT, for Cast

export const TRAIN_STEP_OUTPUTS = ['loss', 'grad_weight', 'grad_bias'] as const;

export function buildTrainStepGraph(u: Unembedding): Uint8Array {
  const d = u.dModel;
  const g = new GraphBuilder('tuned-lens-train-step');
  const frozen = unembeddingInitializers(g, u);

  const { residual, outputResidual, weight, bias } = lensInputs(g, d);
  const lastAxis = g.int64s([-1]);

  // The target p = softmax(LN_f(h_L)·wteᵀ); the lens z = LN_f(h + h·Aᵀ + b)·wteᵀ, q = softmax(z)
  const target = outputDistribution(g, outputResidual, frozen, lastAxis);
  const { ln, logits } = lensLogits(g, residual, weight, bias, frozen, d); // [R, N, V]
  const q = g.node('Softmax', [logits], { axis: -1 }); // [R, N, V]
  const lensLogSumExp = logSumExp(g, logits, q); // [R, N, 1]

  // loss_r = mean_n KL(p ‖ q_r)
  const kl = forwardKl(g, target, ln.output, lensLogSumExp, lastAxis); // [R, N, 1]
  const loss = g.node('ReduceMean', [kl], { axes: [1, 2], keepdims: 0 }); // [R]

  // ∂loss/∂y = (q − p)·wte / N = (q·wte − p·wte) / N: the [R, N, V] difference q − p is never formed
  const tokenCount = g.node('Cast', [g.node('Slice', [g.node('Shape', [outputResidual]), g.int64s([0]), g.int64s([1])])], { to: FLOAT }); // [1] = N
  const qUnembedded = g.node('MatMul', [q, frozen.wte]); // [R, N, d]  q·wte
  const yGrad = g.node('Div', [g.node('Sub', [qUnembedded, target.pUnembedded]), tokenCount]); // [R, N, d]

  // LayerNorm backward: ∂loss/∂x = (1/σ)·(g − mean g − x̂·mean(g·x̂)), g = ∂loss/∂y · γ
  const xHatGrad = g.node('Mul', [yGrad, frozen.gamma]); // [R, N, d]  g
  const meanGrad = g.node('ReduceMean', [xHatGrad], { axes: [-1], keepdims: 1 }); // [R, N, 1]
  const meanGradXHat = g.node('ReduceMean', [g.node('Mul', [xHatGrad, ln.normalized])], { axes: [-1], keepdims: 1 }); // [R, N, 1]
  const projected = g.node('Sub', [g.node('Sub', [xHatGrad, meanGrad]), g.node('Mul', [ln.normalized, meanGradXHat])]); // [R, N, d]
  const xGrad = g.node('Mul', [projected, ln.invStd]); // [R, N, d]

  // The affine map: ∂loss/∂A = (∂loss/∂x)ᵀ·h, ∂loss/∂b = Σ_n ∂loss/∂x
  const weightGrad = g.node('MatMul', [g.node('Transpose', [xGrad], { perm: [0, 2, 1] }), residual]); // [R, d(out), d(in)]
  const biasGrad = g.node('ReduceSum', [xGrad, g.int64s([1])], { keepdims: 0 }); // [R, d]

  g.output('loss', 'float32', ['R'], loss);
  g.output('grad_weight', 'float32', ['R', d, d], weightGrad);
  g.output('grad_bias', 'float32', ['R', d], biasGrad);
  return g.toModel(17);
}
