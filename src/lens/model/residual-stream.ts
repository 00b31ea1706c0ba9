/**
 * The model graph's outputs shared by every architecture: the residual stream [L + 1, T, d], row 0
 * the embeddings and row ℓ the output of block ℓ − 1 (architecture.md §3, Residual stream), and,
 * only in the graph built with `afterAttention`, each block's stream after its attention and before
 * its MLP, [L, T, d]. Without the option not one node is added, so the ordinary graph is the same.
 *
 * A graph of some blocks only (`blocks`, model-graph.ts) outputs the rows those blocks make: the
 * first part also the embeddings, a later part its blocks' outputs alone.
 */
import type { GraphBuilder } from '../onnx/graph-builder.ts';

export interface ModelGraphOptions {
  /** Also output `after_attention` float32 [L, T, d]: block ℓ's h + attn(LN₁(h)), the sub-layer rows. */
  afterAttention?: boolean;
  /**
   * Only blocks `from`…`to − 1` (default: all of them), one part of a model made as several sessions
   * (LensModel): the part from block 0 reads `token_embeddings` and adds what else embeds them; a later part reads `hidden`
   * [T, d], the stream entering block `from`. Its cache inputs and outputs hold its own blocks only.
   */
  blocks?: BlockRange;
}

export interface BlockRange {
  from: number;
  to: number;
}

/** `embeddings` is the first row, or null in a part that starts after block 0. */
export function residualStreamRows(g: GraphBuilder, embeddings: string | null, { afterAttention = false }: ModelGraphOptions = {}) {
  const rowAxis = g.int64s([0]);
  const rows = embeddings === null ? [] : [g.node('Unsqueeze', [embeddings, rowAxis])]; // [1, T, d]
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
    /** Declares `residual_stream` float32 [rows, T, d], and `after_attention` [blocks, T, d] when asked for. */
    output(dModel: number): void {
      const residualStream = g.node('Concat', rows, { axis: 0 }); // [L + 1, T, d]
      g.output('residual_stream', 'float32', [rows.length, 'T', dModel], residualStream);
      if (afterAttention) g.output('after_attention', 'float32', [afterRows.length, 'T', dModel], g.node('Concat', afterRows, { axis: 0 })); // [L, T, d]
    },
  };
}
