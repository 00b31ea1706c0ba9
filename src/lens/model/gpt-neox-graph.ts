/**
 * The GPT-NeoX model graph (Pythia): token ids in, the whole residual stream out.
 *
 *   input   `token_embeddings` float32 [T, d]         embed_in[ids] of the new tokens (ModelCheckpoint.tokenEmbedder; P + T ≤ max_position_embeddings)
 *   output  `residual_stream`  float32 [L + 1, T, d]
 *   input   `past_keys`, `past_values`        float32 [L, H, P, dh]      (kv-cache.ts; P = 0 for a whole prompt)
 *   output  `present_keys`, `present_values`  float32 [L, H, P + T, dh]  (keys rotated, as attention reads them)
 *   output  `after_attention`  float32 [L, T, d]      only with `afterAttention`: each layer's h + attn,
 *                                                      also with a parallel residual, where the MLP reads h
 *
 * Row 0 is the token embedding embed_in[ids] (no position embedding: positions enter through the
 * rotary embedding of queries and keys); row i is the output of layer i-1; row L is the output of
 * the last layer, before final_layer_norm (the lens head applies it), as for GPT-2.
 *
 * Layer i, following transformers' GPTNeoXLayer:
 *   attn = dense(attention(input_layernorm(h)))
 *   parallel residual (Pythia):  h' = mlp(post_attention_layernorm(h)) + attn + h
 *   otherwise:                   a = attn + h;  h' = mlp(post_attention_layernorm(a)) + a
 *   mlp(x) = dense_4h_to_h(gelu(dense_h_to_4h(x))), GELU exact: 0.5·x·(1 + erf(x/√2))
 * Attention: query_key_value's output [T, 3d] is viewed as [T, H, 3·hd] and split *per head* into
 * q | k | v (not across the whole width as GPT-2's c_attn); rotary embedding on the first r =
 * int(hd·rotary_pct) dimensions of q and k; scores q·kᵀ·hd^(-1/2), causal mask, softmax.
 * Linear weights are used as stored, [out, in]: a Gemm with transB (x·Wᵀ + b).
 *
 * The rotary embedding is written as one product per head, with no slicing: for x [H, T, hd],
 *   rope(x) = x ⊙ cos + (x·R) ⊙ sin
 * where cos, sin [T, hd] hold cos/sin(t·θ_j) in the first r columns (θ = base^(−2i/r), repeated for
 * both halves, as transformers' emb = [freqs, freqs]) and 1 / 0 in the others, and R [hd, hd] is
 * rotate_half as a signed permutation (x·R = [−x₂, x₁, 0] over the halves x₁, x₂ of the first r
 * dimensions). The pass-through dimensions keep x·1 + 0, so r = 0 and r = hd need no special case.
 * The cos/sin tables are computed in float32 the way transformers computes its cache.
 *
 * Ops: Gather, Slice, Shape, Squeeze, Unsqueeze, Range, Greater, Where, LayerNormalization, Gemm,
 * MatMul, Add, Mul, Div, Erf, Split, Reshape, Transpose, Softmax, Concat — all on onnxruntime-node
 * and onnxruntime-web's WASM and WebGPU execution providers.
 */
import { float, type GraphBuilder, type OnnxModel } from '../onnx/graph-builder.ts';
import type { GPTNeoXCheckpoint } from './gpt-neox-checkpoint.ts';
import type { GPTNeoXConfig } from './gpt-neox-config.ts';
import { modelGraphInputs } from './model-graph.ts';
import type { ModelGraphOptions } from './residual-stream.ts';

export function buildGPTNeoXGraph(ckpt: GPTNeoXCheckpoint, options: ModelGraphOptions = {}): OnnxModel {
  const config = ckpt.config;
  const { dModel: d, numHeads: H, layerNormEpsilon: epsilon, nPositions } = config;
  const dHead = d / H;
  const { g, weight, input, cache, from, to, rows: startRows } = modelGraphInputs('gpt-neox', config, ckpt, options);
  const start = startRows(() => input); // [T, d]  embed_in[ids], given
  let h = start.h;

  // Rotary tables for positions P..P+T-1, and rotate_half as a matrix.
  const tables = rotaryTables(config, nPositions, dHead);
  const rowsAtPositions = (table: string) => g.node('Gather', [table, cache.positions], { axis: 0 }); // [T, hd]
  const cos = rowsAtPositions(g.initializer('rotary.cos', tables.cos, [nPositions, dHead])); // [T, hd]
  const sin = rowsAtPositions(g.initializer('rotary.sin', tables.sin, [nPositions, dHead])); // [T, hd]
  const rotateHalf = g.initializer('rotary.rotate_half', tables.rotateHalf, [dHead, dHead]); // [hd, hd]
  const rope = (x: string) => g.node('Add', [g.node('Mul', [x, cos]), g.node('Mul', [g.node('MatMul', [x, rotateHalf]), sin])]); // [H, T, hd]

  const qkvShape = g.int64s([-1, H, 3 * dHead]); // [T, H, 3·hd]
  const layerNorm = (x: string, w: (name: string) => string, norm: string) =>
    g.node('LayerNormalization', [x, w(`${norm}.weight`), w(`${norm}.bias`)], { axis: -1, epsilon: float(epsilon) }); // [T, d]
  const linear = (x: string, w: (name: string) => string, name: string) => g.node('Gemm', [x, w(`${name}.weight`), w(`${name}.bias`)], { transB: 1 }); // x·Wᵀ + b

  const rows = start.rows;
  for (let i = from; i < to; i++) {
    const w = (name: string) => weight(`layers.${i}.${name}`);

    // attn = dense(attention(input_layernorm(h)))
    const x = layerNorm(h, w, 'input_layernorm'); // [T, d]
    const qkv = linear(x, w, 'attention.query_key_value'); // [T, 3d]
    const qkvHeads = g.node('Reshape', [qkv, qkvShape]); // [T, H, 3·hd]
    const perHead = g.node('Transpose', [qkvHeads], { perm: [1, 0, 2] }); // [H, T, 3·hd]
    const [q, k, v] = g.node('Split', [perHead], { axis: 2 }, 3); // 3 × [H, T, hd]
    const attended = cache.attendHeads(i, rope(q), rope(k), v); // [T, d]  softmax(q·kᵀ/√hd + causal mask)·v over P + T keys
    const attnOut = linear(attended, w, 'attention.dense'); // [T, d]

    // mlp(post_attention_layernorm(·)), reading h itself (parallel) or h + attn (sequential)
    const mlpInput = config.parallelResidual ? h : g.node('Add', [attnOut, h]); // [T, d]
    // The stream with the attention added and not yet the MLP: with a parallel residual no node holds
    // it (the MLP reads h), so it is added for this output alone, attn + h as transformers adds them.
    rows.pushAfterAttention(() => (config.parallelResidual ? g.node('Add', [attnOut, h]) : mlpInput));
    const y = layerNorm(mlpInput, w, 'post_attention_layernorm'); // [T, d]
    const up = linear(y, w, 'mlp.dense_h_to_4h'); // [T, I]
    const mlpOut = linear(gelu(g, up), w, 'mlp.dense_4h_to_h'); // [T, d]
    h = config.parallelResidual
      ? g.node('Add', [g.node('Add', [mlpOut, attnOut]), h]) // [T, d]  mlp + attn + h, in transformers' order
      : g.node('Add', [mlpOut, mlpInput]); // [T, d]  mlp + (attn + h)

    rows.push(h);
  }

  rows.output(d);
  cache.finish();
  return g.toExternalModel(17);
}

/** gelu(x) = 0.5·x·(1 + erf(x/√2)), elementwise: transformers' "gelu" (exact). */
function gelu(g: GraphBuilder, x: string): string {
  const scaled = g.node('Mul', [x, g.scalar(Math.SQRT1_2)]); // x/√2
  const onePlus = g.node('Add', [g.node('Erf', [scaled]), g.scalar(1)]); // 1 + erf(x/√2)
  const half = g.node('Mul', [x, g.scalar(0.5)]); // 0.5·x
  return g.node('Mul', [half, onePlus]); // 0.5·x·(1 + erf(x/√2))
}

/**
 * cos/sin [positions, hd] and rotate_half [hd, hd] for the rotary embedding of the first r dims.
 * As transformers' GPTNeoXRotaryEmbedding, in float32: inv_freq = 1 / base^(arange(0, r, 2)/r),
 * angle = t·inv_freq, emb = [angles, angles]; Math.fround at each step where torch rounds.
 */
export function rotaryTables(config: Pick<GPTNeoXConfig, 'rotaryDims' | 'rotaryBase'>, positions: number, dHead: number) {
  const r = config.rotaryDims;
  const half = r / 2;
  const invFreq = Array.from({ length: half }, (_, i) => Math.fround(1 / Math.fround(config.rotaryBase ** Math.fround((2 * i) / r))));
  const cos = new Float32Array(positions * dHead).fill(1);
  const sin = new Float32Array(positions * dHead);
  for (let t = 0; t < positions; t++) {
    for (let j = 0; j < r; j++) {
      const angle = Math.fround(t * invFreq[j % half]);
      cos[t * dHead + j] = Math.cos(angle);
      sin[t * dHead + j] = Math.sin(angle);
    }
  }
  // (x·R)_j = −x_{j+r/2} for j < r/2, x_{j−r/2} for r/2 ≤ j < r, 0 beyond r.
  const rotateHalf = new Float32Array(dHead * dHead);
  for (let j = 0; j < half; j++) {
    rotateHalf[(j + half) * dHead + j] = -1;
    rotateHalf[j * dHead + j + half] = 1;
  }
  return { cos, sin, rotateHalf };
}
