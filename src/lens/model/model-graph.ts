/**
 * What every model graph starts from: its builder, the checkpoint's tensors as initializers named as
 * in the checkpoint, its input (the tokens' embeddings, or the stream entering a later part's first block), the KV
 * cache, whose `positions` place the new tokens after the cached ones (kv-cache.ts), and the rows it
 * outputs. The architecture adds its embeddings (in the part from block 0) and blocks.
 */
import { GraphBuilder } from '../onnx/graph-builder.ts';
import type { Tensor32 } from '../tensor.ts';
import type { ModelConfig } from './architecture.ts';
import { kvCache } from './kv-cache.ts';
import { residualStreamRows, type ModelGraphOptions } from './residual-stream.ts';

export function modelGraphInputs(name: string, config: ModelConfig, checkpoint: { get(name: string): Tensor32 }, options: ModelGraphOptions) {
  const g = new GraphBuilder(name);
  const weight = (tensorName: string) => {
    const tensor = checkpoint.get(tensorName);
    return g.initializer(tensorName, tensor.data, tensor.shape);
  };
  const { from, to } = options.blocks ?? { from: 0, to: config.numLayers };
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= config.numLayers)) {
    throw new Error(`modelGraph: blocks ${from}…${to - 1} are not within the model's ${config.numLayers}`);
  }
  const embeds = from === 0;
  // The token embeddings are looked up by the caller (ModelCheckpoint.tokenEmbedder), so no session holds the matrix.
  const input = g.input(embeds ? 'token_embeddings' : 'hidden', 'float32', ['T', config.dModel]); // [T, d]
  // Keys and values of the P earlier positions (none for a whole prompt): the new tokens are positions P..P+T-1.
  const cache = kvCache(g, { from, to }, config.numHeads, config.dModel / config.numHeads, input);
  /** The rows this graph outputs, starting with `embeddings` (the part from block 0 only). */
  const rows = (embeddings: () => string) => {
    const first = embeds ? embeddings() : null;
    return { h: first ?? input, rows: residualStreamRows(g, first, options) };
  };
  return { g, weight, input, cache, from, to, rows };
}
