/**
 * The model graph's outputs shared by every architecture: the residual stream [L + 1, T, d], row 0
 * the embeddings and row ℓ the output of block ℓ − 1 (architecture.md §3, Residual stream), and,
 * only in the graph built with `afterAttention`, each block's stream after its attention and before
 * its MLP, [L, T, d]. Without the option not one node is added, so the ordinary graph is the same.
 */
import type { GraphBuilder } from '../onnx/graph-builder.ts';

export interface ModelGraphOptions {
  /** Also output `after_attention` float32 [L, T, d]: block ℓ's h + attn(LN₁(h)), the sub-layer rows. */
  afterAttention?: boolean;
}

export function residualStreamRows(g: GraphBuilder, embeddings: string, { afterAttention = false }: ModelGraphOptions = {}) {
  const rowAxis = g.int64s([0]);
  const rows = [g.node('Unsqueeze', [embeddings, rowAxis])]; // [1, T, d]
  const afterRows: string[] = [];
  return {
    /** Appends a block's output as the next row. */
    push(h: string): void {
      rows.push(g.node('Unsqueeze', [h, rowAxis])); // [1, T, d]
    },
    /**
     * Block's stream after its attention: `state()` makes (or names) it, and is called only in the
     * graph built with `afterAttention`, so a state that only this output needs adds nothing otherwise.
     */
    pushAfterAttention(state: () => string): void {
      if (afterAttention) afterRows.push(g.node('Unsqueeze', [state(), rowAxis])); // [1, T, d]
    },
    /** Declares `residual_stream` float32 [L + 1, T, d], and `after_attention` [L, T, d] when asked for. */
    output(numLayers: number, dModel: number): void {
      const residualStream = g.node('Concat', rows, { axis: 0 }); // [L + 1, T, d]
      g.output('residual_stream', 'float32', [numLayers + 1, 'T', dModel], residualStream);
      if (afterAttention) g.output('after_attention', 'float32', [numLayers, 'T', dModel], g.node('Concat', afterRows, { axis: 0 })); // [L, T, d]
    },
  };
}
