/**
 * The GPT-2 model graph: token ids in, the whole residual stream out.
 *
 *   input   `token_embeddings` float32 [T, d]         wte[ids] of the new tokens (ModelCheckpoint.tokenEmbedder; P + T ≤ n_positions, the caller checks)
 *   output  `residual_stream`  float32 [L + 1, T, d]
 *   input   `past_keys`, `past_values`        float32 [L, H, P, dh]      (kv-cache.ts; P = 0 for a whole prompt)
 *   output  `present_keys`, `present_values`  float32 [L, H, P + T, dh]
 *   output  `after_attention`  float32 [L, T, d]      only with `afterAttention`: each block's a (below)
 * With a past, the ids continue a prompt from position P and only the new positions are computed;
 * with P = 0 the whole prompt runs. With `blocks`, the graph is one part of the model (residual-stream.ts):
 * the part from block 0 embeds, a later one reads `hidden` [T, d] instead of the ids.
 *
 * Row 0 is the embeddings wte[ids] + wpe[0..T-1]; row i is the output of block i-1 (the input of
 * block i); row L is the output of the last block, *before* ln_f (Hugging Face's `hidden_states`,
 * except that HF applies ln_f to the last entry — the lens head applies it instead).
 *
 * Block i:  a = h + c_proj(attn(LN_1(h)));  h' = a + mlp.c_proj(gelu(mlp.c_fc(LN_2(a)))),
 * with causal attention scaled by 1/√(d/n_head), heads split from c_attn's output as [q | k | v],
 * GELU's tanh approximation written out, Conv1D weights used as stored ([in, out]: x·W + b).
 *
 * Only common ops (Gather, Shape, Squeeze, Unsqueeze, Range, Greater, Where, LayerNormalization,
 * MatMul, Add, Mul, Div, Tanh, Split, Reshape, Transpose, Softmax, Concat), so the same graph runs
 * on onnxruntime-node, and on onnxruntime-web's WASM and WebGPU execution providers.
 */
import { float, type GraphBuilder, type OnnxModel } from '../onnx/graph-builder.ts';
import type { GPT2Checkpoint } from './gpt2-checkpoint.ts';
import { modelGraphInputs } from './model-graph.ts';
import type { ModelGraphOptions } from './residual-stream.ts';

export function buildGPT2Graph(ckpt: GPT2Checkpoint, options: ModelGraphOptions = {}): OnnxModel {
  const { dModel: d, layerNormEpsilon: epsilon } = ckpt.config;
  const { g, weight, input, cache, from, to, rows: startRows } = modelGraphInputs('gpt2', ckpt.config, ckpt, options);

  // Embeddings: h₀ = wte[ids] + wpe[P..P+T-1], wte[ids] given
  const embeddings = () => {
    const positions = g.node('Gather', [weight('wpe.weight'), cache.positions], { axis: 0 }); // [T, d]
    return g.node('Add', [input, positions]); // [T, d]
  };
  const start = startRows(embeddings);
  let h = start.h;
  const rows = start.rows;
  for (let i = from; i < to; i++) {
    const w = (name: string) => weight(`h.${i}.${name}`);

    // Attention: a = h + c_proj(attn(LN_1(h)))
    const x = g.node('LayerNormalization', [h, w('ln_1.weight'), w('ln_1.bias')], { axis: -1, epsilon: float(epsilon) }); // [T, d]
    const qkvProduct = g.node('MatMul', [x, w('attn.c_attn.weight')]); // [T, 3d]
    const qkv = g.node('Add', [qkvProduct, w('attn.c_attn.bias')]); // [T, 3d]
    const [q, k, v] = g.node('Split', [qkv], { axis: 1 }, 3); // 3 × [T, d]
    const attended = cache.attend(i, q, k, v); // [T, d]
    const projected = g.node('MatMul', [attended, w('attn.c_proj.weight')]); // [T, d]
    const attnOut = g.node('Add', [projected, w('attn.c_proj.bias')]); // [T, d]
    const a = g.node('Add', [h, attnOut]); // [T, d]
    rows.pushAfterAttention(() => a);

    // MLP: h' = a + c_proj(gelu(c_fc(LN_2(a))))
    const y = g.node('LayerNormalization', [a, w('ln_2.weight'), w('ln_2.bias')], { axis: -1, epsilon: float(epsilon) }); // [T, d]
    const fcProduct = g.node('MatMul', [y, w('mlp.c_fc.weight')]); // [T, 4d]
    const f = g.node('Add', [fcProduct, w('mlp.c_fc.bias')]); // [T, 4d]
    const activated = gelu(g, f); // [T, 4d]
    const mlpProduct = g.node('MatMul', [activated, w('mlp.c_proj.weight')]); // [T, d]
    const mlpOut = g.node('Add', [mlpProduct, w('mlp.c_proj.bias')]); // [T, d]
    h = g.node('Add', [a, mlpOut]); // [T, d]

    rows.push(h);
  }

  rows.output(d);
  cache.finish();
  return g.toExternalModel(17);
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
