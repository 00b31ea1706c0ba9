/**
 * The frozen part of every lens — the model's own final LayerNorm and unembedding,
 * Unembed(h) = LN_f(h)·W_Uᵀ with W_U [V, d] (GPT-2's tied wte, GPT-NeoX's embed_out) — and the subgraphs that the training and
 * evaluation graphs share: the translators, LN_f written out, and the unembedding product.
 *
 * The unembedding is one initializer, wte as stored ([V, d]): the forward product is a Gemm with
 * transB (z = x·wteᵀ) and the backward product a MatMul (dx = dz·wte), so the 154 MB matrix of
 * GPT-2 is held once per session rather than once per orientation.
 */
import type { ModelCheckpoint } from '../model/architecture.ts';
import type { GraphBuilder } from '../onnx/graph-builder.ts';

export interface Unembedding {
  dModel: number;
  vocabSize: number;
  layerNormEpsilon: number;
  /** ln_f.weight [d] */
  lnFWeight: Float32Array;
  /** ln_f.bias [d] */
  lnFBias: Float32Array;
  /** W_U [V, d]: GPT-2's tied wte.weight, GPT-NeoX's embed_out.weight (the name is GPT-2's). */
  wte: Float32Array;
}

export function unembeddingOf(ckpt: ModelCheckpoint): Unembedding {
  return ckpt.unembedding();
}

/** The unembedding's initializers in graph `g`. */
export interface UnembeddingNodes {
  gamma: string; // [d]
  beta: string; // [d]
  wte: string; // [V, d]
  epsilon: string; // []
}

export function unembeddingInitializers(g: GraphBuilder, u: Unembedding): UnembeddingNodes {
  return {
    gamma: g.initializer('ln_f.weight', u.lnFWeight, [u.dModel]),
    beta: g.initializer('ln_f.bias', u.lnFBias, [u.dModel]),
    wte: g.initializer('wte.weight', u.wte, [u.vocabSize, u.dModel]),
    epsilon: g.scalar(u.layerNormEpsilon),
  };
}

/**
 * Translators in residual form, x = h + h·Wᵀ + b, for every row r:
 * h [R, N, d], weight [R, d(out), d(in)], bias [R, d] → x [R, N, d].
 * h·Wᵀ is computed as (W·hᵀ)ᵀ, which transposes the rows rather than the weights.
 */
export function translate(g: GraphBuilder, h: string, weight: string, bias: string): string {
  const hT = g.node('Transpose', [h], { perm: [0, 2, 1] }); // [R, d, N]
  const productT = g.node('MatMul', [weight, hT]); // [R, d, N]  W·hᵀ
  const product = g.node('Transpose', [productT], { perm: [0, 2, 1] }); // [R, N, d]  h·Wᵀ
  const withBias = g.node('Add', [product, g.node('Unsqueeze', [bias, g.int64s([1])])]); // [R, N, d]  h·Wᵀ + b
  return g.node('Add', [h, withBias]); // [R, N, d]
}

/** LayerNorm over the last axis, written out so that the backward pass can reuse its parts. */
export interface LayerNormParts {
  /** x̂ = (x − μ)/σ, [..., d] */
  normalized: string;
  /** 1/σ = 1/√(var + ε), [..., 1] */
  invStd: string;
  /** x̂·γ + β, [..., d] */
  output: string;
}

export function layerNorm(g: GraphBuilder, x: string, u: UnembeddingNodes): LayerNormParts {
  const mean = g.node('ReduceMean', [x], { axes: [-1], keepdims: 1 }); // [..., 1]  μ
  const centered = g.node('Sub', [x, mean]); // [..., d]  x − μ
  const squared = g.node('Mul', [centered, centered]); // [..., d]
  const variance = g.node('ReduceMean', [squared], { axes: [-1], keepdims: 1 }); // [..., 1]  biased, as torch
  const std = g.node('Sqrt', [g.node('Add', [variance, u.epsilon])]); // [..., 1]  σ
  const invStd = g.node('Reciprocal', [std]); // [..., 1]
  const normalized = g.node('Mul', [centered, invStd]); // [..., d]  x̂
  const output = g.node('Add', [g.node('Mul', [normalized, u.gamma]), u.beta]); // [..., d]
  return { normalized, invStd, output };
}

/** z = y·wteᵀ for rows y [M, d] → [M, V], one Gemm against the stored [V, d] matrix. */
export function unembedRows(g: GraphBuilder, y: string, u: UnembeddingNodes): string {
  return g.node('Gemm', [y, u.wte], { transB: 1 }); // [M, V]
}
