/**
 * Cached keys and values for a model graph, and the causal self-attention that reads them — the
 * pieces every architecture here shares (GPT-2's blocks; any block that attends the same way, with
 * its own projections and position scheme around it).
 *
 *   input   `past_keys`       float32 [L, H, P, dh]      keys of the P positions already computed
 *   input   `past_values`     float32 [L, H, P, dh]      their values
 *   output  `present_keys`    float32 [L, H, P + T, dh]  the past's and the T new positions' keys
 *   output  `present_values`  float32 [L, H, P + T, dh]
 * (L here is the graph's own blocks: a part of the model holds the cache of its blocks only.)
 *
 * A run of a whole prompt feeds both with P = 0 (`modelFeeds` without a past). They are required inputs, not inputs
 * with an empty default initializer: ORT's optimiser reads such a default's shape as fixed and folds
 * P = 0 into the graph (the past would then be ignored when fed). With a past, the T new ids are positions P..P+T-1: their queries attend to all P + T keys, causally.
 * The numbers are the full recompute's: attention at a position reads exactly the keys and values of
 * the positions up to it, and those do not depend on anything after them.
 */
import type { Tensor as OrtTensor } from 'onnxruntime-common';
import type { GraphBuilder } from '../onnx/graph-builder.ts';
import type { ModelCheckpoint } from './architecture.ts';

export const KV_CACHE_INPUTS = ['past_keys', 'past_values'] as const;
export const KV_CACHE_OUTPUTS = ['present_keys', 'present_values'] as const;

/**
 * The feeds of `checkpoint`'s whole model graph: `ids` are the new tokens, embedded here; `past` holds the keys and
 * values of the `past.length` positions before them, [L, H, P, dh] each — none for a whole prompt.
 */
export async function modelFeeds(
  Tensor: typeof OrtTensor,
  checkpoint: Pick<ModelCheckpoint, 'config' | 'tokenEmbedder'>,
  ids: readonly number[],
  past?: { length: number; keys: Float32Array; values: Float32Array },
): Promise<Record<string, OrtTensor>> {
  const { config } = checkpoint;
  return {
    token_embeddings: new Tensor('float32', await checkpoint.tokenEmbedder()(ids), [ids.length, config.dModel]),
    ...cacheFeeds(Tensor, config.numLayers, config, past),
  };
}

/** `past_keys` and `past_values` of a graph whose cache holds `numLayers` blocks: `past` (that many blocks' worth), or none. */
export function cacheFeeds(
  Tensor: typeof OrtTensor,
  numLayers: number,
  shape: { numHeads: number; dModel: number },
  past?: { length: number; keys: Float32Array; values: Float32Array },
): Record<string, OrtTensor> {
  const pastShape = [numLayers, shape.numHeads, past?.length ?? 0, shape.dModel / shape.numHeads];
  return {
    past_keys: new Tensor('float32', past?.keys ?? new Float32Array(0), pastShape),
    past_values: new Tensor('float32', past?.values ?? new Float32Array(0), pastShape),
  };
}

export interface KvCache {
  /** int64 [T]: the absolute positions P..P+T-1 of the new tokens (GPT-2's wpe rows; rotary angles). */
  positions: string;
  /**
   * Causal self-attention of layer `layer` for the new positions, with that layer's past prepended.
   * `q`, `k`, `v` are [T, d] with H contiguous heads side by side (d = H·dh); returns [T, d], heads
   * merged back. A model that rotates queries and keys (rotary) passes `rotate`, applied to the new
   * q and k as [H, T, dh] after the split — so the cache holds keys already rotated, as they must be.
   */
  attend(layer: number, q: string, k: string, v: string, rotate?: (heads: string) => string): string;
  /**
   * The same for a model that splits its heads itself (GPT-NeoX splits q | k | v per head): queries,
   * keys and values of the new positions as [H, T, dh], keys already rotated; returns [T, d].
   */
  attendHeads(layer: number, queries: string, keys: string, values: string): string;
  /** Declares `present_keys` / `present_values` once every layer has attended. */
  finish(): void;
}

/** The cache of blocks `blocks.from`…`blocks.to − 1`, whose layers `attend` names by their index in the model; `tokens` is [T, d]. */
export function kvCache(g: GraphBuilder, blocks: { from: number; to: number }, numHeads: number, dHead: number, tokens: string): KvCache {
  const L = blocks.to - blocks.from;
  const H = numHeads;
  const pastKeys = g.input('past_keys', 'float32', [L, H, 'P', dHead]); // [L, H, P, dh]
  const pastValues = g.input('past_values', 'float32', [L, H, 'P', dHead]); // [L, H, P, dh]

  // P and T as scalars, and the absolute positions of the new tokens.
  const zero = g.constant(new BigInt64Array([0n]), []);
  const one = g.constant(new BigInt64Array([1n]), []);
  const pastLength = g.node('Gather', [g.node('Shape', [pastKeys]), g.int64s([2], [])], { axis: 0 }); // [] = P
  const newLength = g.node('Gather', [g.node('Shape', [tokens]), g.int64s([0], [])], { axis: 0 }); // [] = T
  const totalLength = g.node('Add', [pastLength, newLength]); // [] = P + T
  const positions = g.node('Range', [pastLength, totalLength, one]); // [T]  P..P+T-1

  // Causal mask over all P + T keys: 0 where key j ≤ query position P + i, −10⁹ where j > P + i.
  const query = g.node('Unsqueeze', [positions, g.int64s([1])]); // [T, 1]
  const key = g.node('Unsqueeze', [g.node('Range', [zero, totalLength, one]), g.int64s([0])]); // [1, P + T]
  const future = g.node('Greater', [key, query]); // [T, P + T] bool
  const mask = g.node('Where', [future, g.scalar(-1e9), g.scalar(0)]); // [T, P + T]

  const headShape = g.int64s([-1, H, dHead]); // [T, H, dh]
  const streamShape = g.int64s([-1, H * dHead]); // [T, d]
  const scale = g.scalar(Math.sqrt(dHead));
  const presentKeys: string[] = [];
  const presentValues: string[] = [];
  const heads = (x: string) => g.node('Transpose', [g.node('Reshape', [x, headShape])], { perm: [1, 0, 2] }); // [T, d] → [H, T, dh]

  return {
    positions,
    attend(layer, q, k, v, rotate = (x) => x) {
      return this.attendHeads(layer, rotate(heads(q)), rotate(heads(k)), heads(v));
    },
    attendHeads(layer, queries, newKeys, newValues) {
      const index = g.int64s([layer - blocks.from], []);
      const pastK = g.node('Gather', [pastKeys, index], { axis: 0 }); // [H, P, dh]
      const pastV = g.node('Gather', [pastValues, index], { axis: 0 }); // [H, P, dh]
      const keys = g.node('Concat', [pastK, newKeys], { axis: 1 }); // [H, P + T, dh]
      const values = g.node('Concat', [pastV, newValues], { axis: 1 }); // [H, P + T, dh]
      presentKeys.push(g.node('Unsqueeze', [keys, g.int64s([0])])); // [1, H, P + T, dh]
      presentValues.push(g.node('Unsqueeze', [values, g.int64s([0])])); // [1, H, P + T, dh]

      const keysT = g.node('Transpose', [keys], { perm: [0, 2, 1] }); // [H, dh, P + T]
      const dots = g.node('MatMul', [queries, keysT]); // [H, T, P + T]
      const scores = g.node('Div', [dots, scale]); // [H, T, P + T]  q·k / √dh
      const masked = g.node('Add', [scores, mask]); // [H, T, P + T]
      const pattern = g.node('Softmax', [masked], { axis: -1 }); // [H, T, P + T]
      const mixed = g.node('MatMul', [pattern, values]); // [H, T, dh]
      const merged = g.node('Transpose', [mixed], { perm: [1, 0, 2] }); // [T, H, dh]
      return g.node('Reshape', [merged, streamShape]); // [T, d]
    },
    finish() {
      g.output('present_keys', 'float32', [L, H, 'P+T', dHead], g.node('Concat', presentKeys, { axis: 0 })); // [L, H, P + T, dh]
      g.output('present_values', 'float32', [L, H, 'P+T', dHead], g.node('Concat', presentValues, { axis: 0 })); // [L, H, P + T, dh]
    },
  };
}
