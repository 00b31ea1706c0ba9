/**
 * The model graph's output, shared by every architecture: the residual stream [L + 1, T, d], row 0
 * the embeddings and row ℓ the output of block ℓ − 1 (architecture.md §3, Residual stream).
 */
import type { GraphBuilder } from '../onnx/graph-builder.ts';

export function residualStreamRows(g: GraphBuilder, embeddings: string) {
  const rowAxis = g.int64s([0]);
  const rows = [g.node('Unsqueeze', [embeddings, rowAxis])]; // [1, T, d]
  return {
    /** Appends a block's output as the next row. */
    push(h: string): void {
      rows.push(g.node('Unsqueeze', [h, rowAxis])); // [1, T, d]
    },
    /** Declares `residual_stream` float32 [L + 1, T, d]. */
    output(numLayers: number, dModel: number): void {
      const residualStream = g.node('Concat', rows, { axis: 0 }); // [L + 1, T, d]
      g.output('residual_stream', 'float32', [numLayers + 1, 'T', dModel], residualStream);
    },
  };
}
