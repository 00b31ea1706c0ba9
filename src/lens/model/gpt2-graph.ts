/**
 * The GPT-2 model graph: token ids in, the whole residual stream out.
 *
 *   input   `input_ids`        int64   [T]            (T ≤ n_positions; the caller checks)
 *   output  `residual_stream`  float32 [L + 1, T, d]
 *
 * Row 0 is the embeddings wte[ids] + wpe[0..T-1]; row i is the output of block i-1 (the input of
 * block i); row L is the output of the last block, *before* ln_f (Hugging Face's `hidden_states`,
 * except that HF applies ln_f to the last entry — the lens head applies it instead).
 *
 * Block i:  a = h + c_proj(attn(LN_1(h)));  h' = a + mlp.c_proj(gelu(mlp.c_fc(LN_2(a)))),
 * with causal attention scaled by 1/√(d/n_head), heads split from c_attn's output as [q | k | v],
 * GELU's tanh approximation written out, Conv1D weights used as stored ([in, out]: x·W + b).
 *
 * Only common ops (Gather, Slice, Shape, Squeeze, Unsqueeze, Range, Greater, Where, LayerNormalization,
 * MatMul, Add, Mul, Div, Tanh, Split, Reshape, Transpose, Softmax, Concat), so the same graph runs
 * on onnxruntime-node, and on onnxruntime-web's WASM and WebGPU execution providers.
 */
import { float, GraphBuilder } from '../onnx/graph-builder.ts';
import type { GPT2Checkpoint } from './gpt2-checkpoint.ts';

export function buildGPT2Graph(ckpt: GPT2Checkpoint): Uint8Array {
  const { dModel: d, numLayers: L, numHeads: H, layerNormEpsilon: epsilon } = ckpt.config;
  const dHead = d / H;
  const g = new GraphBuilder('gpt2');
  /** A checkpoint tensor as an initializer named as in the checkpoint. */
  const weight = (name: string) => g.initializer(name, ckpt.get(name).data, ckpt.get(name).shape);

  const inputIds = g.input('input_ids', 'int64', ['T']); // [T]
  const length = g.node('Shape', [inputIds]); // [1] = [T]

  // Embeddings: h₀ = wte[ids] + wpe[0..T-1]
  const tokens = g.node('Gather', [weight('wte.weight'), inputIds], { axis: 0 }); // [T, d]
  const positions = g.node('Slice', [weight('wpe.weight'), g.int64s([0]), length, g.int64s([0])]); // [T, d]
  let h = g.node('Add', [tokens, positions]); // [T, d]

  // Causal mask: 0 where key j ≤ query i, −10⁹ where j > i (added to the scores, so softmax gives 0).
  const n = g.node('Squeeze', [length, g.int64s([0])]); // [] = T
  const index = g.node('Range', [g.constant(new BigInt64Array([0n]), []), n, g.constant(new BigInt64Array([1n]), [])]); // [T]
  const query = g.node('Unsqueeze', [index, g.int64s([1])]); // [T, 1]
  const key = g.node('Unsqueeze', [index, g.int64s([0])]); // [1, T]
  const future = g.node('Greater', [key, query]); // [T, T] bool
  const mask = g.node('Where', [future, g.scalar(-1e9), g.scalar(0)]); // [T, T]

  const headShape = g.int64s([-1, H, dHead]); // [T, H, dh]
  const streamShape = g.int64s([-1, d]); // [T, d]
  const scale = g.scalar(Math.sqrt(dHead));
  const rowAxis = g.int64s([0]);

  const rows = [g.node('Unsqueeze', [h, rowAxis])]; // [1, T, d]
  for (let i = 0; i < L; i++) {
    const w = (name: string) => weight(`h.${i}.${name}`);

    // Attention: a = h + c_proj(attn(LN_1(h)))
    const x = g.node('LayerNormalization', [h, w('ln_1.weight'), w('ln_1.bias')], { axis: -1, epsilon: float(epsilon) }); // [T, d]
    const qkvProduct = g.node('MatMul', [x, w('attn.c_attn.weight')]); // [T, 3d]
    const qkv = g.node('Add', [qkvProduct, w('attn.c_attn.bias')]); // [T, 3d]
    const [q, k, v] = g.node('Split', [qkv], { axis: 1 }, 3); // 3 × [T, d]
    const qHeads = g.node('Reshape', [q, headShape]); // [T, H, dh]
    const kHeads = g.node('Reshape', [k, headShape]); // [T, H, dh]
    const vHeads = g.node('Reshape', [v, headShape]); // [T, H, dh]
    const queries = g.node('Transpose', [qHeads], { perm: [1, 0, 2] }); // [H, T, dh]
    const keysT = g.node('Transpose', [kHeads], { perm: [1, 2, 0] }); // [H, dh, T]
    const values = g.node('Transpose', [vHeads], { perm: [1, 0, 2] }); // [H, T, dh]
    const dots = g.node('MatMul', [queries, keysT]); // [H, T, T]
    const scores = g.node('Div', [dots, scale]); // [H, T, T]  q·k / √dh
    const masked = g.node('Add', [scores, mask]); // [H, T, T]
    const pattern = g.node('Softmax', [masked], { axis: -1 }); // [H, T, T]
    const mixed = g.node('MatMul', [pattern, values]); // [H, T, dh]
    const merged = g.node('Transpose', [mixed], { perm: [1, 0, 2] }); // [T, H, dh]
    const attended = g.node('Reshape', [merged, streamShape]); // [T, d]
    const projected = g.node('MatMul', [attended, w('attn.c_proj.weight')]); // [T, d]
    const attnOut = g.node('Add', [projected, w('attn.c_proj.bias')]); // [T, d]
    const a = g.node('Add', [h, attnOut]); // [T, d]

    // MLP: h' = a + c_proj(gelu(c_fc(LN_2(a))))
    const y = g.node('LayerNormalization', [a, w('ln_2.weight'), w('ln_2.bias')], { axis: -1, epsilon: float(epsilon) }); // [T, d]
    const fcProduct = g.node('MatMul', [y, w('mlp.c_fc.weight')]); // [T, 4d]
    const f = g.node('Add', [fcProduct, w('mlp.c_fc.bias')]); // [T, 4d]
    const activated = gelu(g, f); // [T, 4d]
    const mlpProduct = g.node('MatMul', [activated, w('mlp.c_proj.weight')]); // [T, d]
    const mlpOut = g.node('Add', [mlpProduct, w('mlp.c_proj.bias')]); // [T, d]
    h = g.node('Add', [a, mlpOut]); // [T, d]

    rows.push(g.node('Unsqueeze', [h, rowAxis])); // [1, T, d]
  }

  const residualStream = g.node('Concat', rows, { axis: 0 }); // [L + 1, T, d]
  g.output('residual_stream', 'float32', [L + 1, 'T', d], residualStream);
  return g.toModel(17);
}

/** gelu_new(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), elementwise. */
function gelu(g: GraphBuilder, x: string): string {
  const x2 = g.node('Mul', [x, x]); // x²
  const x3 = g.node('Mul', [x2, x]); // x³
  const cubic = g.node('Mul', [x3, g.scalar(0.044715)]); // 0.044715·x³
  const inner = g.node('Add', [x, cubic]); // x + 0.044715·x³
  const scaled = g.node('Mul', [inner, g.scalar(Math.sqrt(2 / Math.PI))]); // √(2/π)·(…)
  const tanh = g.node('Tanh', [scaled]); // tanh(…)
  const onePlus = g.node('Add', [tanh, g.scalar(1)]); // 1 + tanh(…)
  const half = g.node('Mul', [x, g.scalar(0.5)]); // 0.5·x
  return g.node('Mul', [half, onePlus]); // 0.5·x·(1 + tanh(…))
}
