/**
 * What every model graph starts from: its builder, the checkpoint's tensors as initializers named as
 * in the checkpoint, the token ids, and the KV cache, whose `positions` place the new ids after the
 * cached ones (kv-cache.ts). The architecture adds its embeddings and blocks.
 */
import { GraphBuilder } from '../onnx/graph-builder.ts';
import type { Tensor32 } from '../tensor.ts';
import type { ModelConfig } from './architecture.ts';
import { kvCache } from './kv-cache.ts';

export function modelGraphInputs(name: string, config: ModelConfig, checkpoint: { get(name: string): Tensor32 }) {
  const g = new GraphBuilder(name);
  const weight = (tensorName: string) => {
    const tensor = checkpoint.get(tensorName);
    return g.initializer(tensorName, tensor.data, tensor.shape);
  };
  const inputIds = g.input('input_ids', 'int64', ['T']); // [T]
  // Keys and values of the P earlier positions (none for a whole prompt): the new ids are positions P..P+T-1.
  const cache = kvCache(g, config.numLayers, config.numHeads, config.dModel / config.numHeads, inputIds);
  return { g, weight, inputIds, cache };
}
