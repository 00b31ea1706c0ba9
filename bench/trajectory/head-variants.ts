/**
 * Cut-down versions of the lens head graph, for finding where the head's time goes: the real graph
 * from buildHeadGraph, re-declared with fewer outputs and pruned to the nodes those outputs need.
 * Nothing in src/lens changes; the variants exist only in the benchmark.
 *
 * Internal value names are GraphBuilder's (`<op>_<n>`), looked up by the op that makes them, so a
 * variant keeps working as long as the head graph keeps its structure (one ReduceMax over the logits,
 * one Gemm with the unembedding).
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { GPT2Checkpoint } from '../../src/lens/model/gpt2-checkpoint.ts';
import type { GPT2Config } from '../../src/lens/model/gpt2-config.ts';
import type { OnnxModel } from '../../src/lens/onnx/graph-builder.ts';
import type { Tensor32 } from '../../src/lens/tensor.ts';
import { Rng } from './random-gpt2.ts';

const { onnx } = onnxProto;

/** The head graph only reads wte and ln_f: a checkpoint-shaped object with just those, random. */
export function headOnlyCheckpoint(config: GPT2Config, seed = 1234): GPT2Checkpoint {
  const { dModel: d, vocabSize: V } = config;
  const tensors = new Map<string, Tensor32>([
    ['wte.weight', { data: new Rng(seed).fillNormal(new Float32Array(V * d), 0.02), shape: [V, d] }],
    ['ln_f.weight', { data: new Rng(seed + 1).fillNormal(new Float32Array(d), 0.02, 1), shape: [d] }],
    ['ln_f.bias', { data: new Rng(seed + 2).fillNormal(new Float32Array(d), 0.02), shape: [d] }],
  ]);
  return {
    config,
    get: (name: string) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`headOnlyCheckpoint: no ${name}`);
      return t;
    },
    names: () => [...tensors.keys()],
    // What buildHeadGraph reads (GPT2Checkpoint.unembedding's shape).
    unembedding: () => ({
      dModel: d,
      vocabSize: V,
      layerNormEpsilon: config.layerNormEpsilon,
      lnFWeight: tensors.get('ln_f.weight')!.data,
      lnFBias: tensors.get('ln_f.bias')!.data,
      wte: tensors.get('wte.weight')!.data,
    }),
  } as unknown as GPT2Checkpoint;
}

export interface Variant {
  name: string;
  description: string;
  /** Graph outputs to keep: declared output names, or `@Op` for the (first) output of the first node of that op type after the unembedding Gemm. */
  outputs: string[];
}

/** Cumulative: each adds one group of statistics to the one before. */
export const HEAD_VARIANTS: Variant[] = [
  { name: 'unembed', description: 'translators + LN_f + unembedding Gemm (+ ReduceMax, so the logits are used)', outputs: ['@ReduceMax'] },
  { name: '+softmax stats', description: '+ exp pass, entropy, max_probability, forward_kl', outputs: ['entropy', 'max_probability', 'forward_kl'] },
  { name: '+cross_entropy', description: '+ GatherElements of the target logit', outputs: ['entropy', 'max_probability', 'forward_kl', 'cross_entropy'] },
  { name: '+rank', description: '+ Greater / Cast / ReduceSum over [R, T, V]', outputs: ['entropy', 'max_probability', 'forward_kl', 'cross_entropy', 'rank'] },
  {
    name: 'full (+topk)',
    description: 'the head graph as LensModel runs it (+ TopK k=10)',
    outputs: ['topk_ids', 'topk_logprobs', 'entropy', 'max_probability', 'forward_kl', 'cross_entropy', 'rank'],
  },
  { name: 'topk only', description: 'translators + LN_f + unembedding + TopK (no statistics)', outputs: ['topk_ids', 'topk_logprobs'] },
];

/** `model` with only `outputs` as graph outputs and only the nodes they need, and the inputs it still reads. */
export function pruneHeadGraph(model: OnnxModel, outputs: string[]): { model: OnnxModel; inputs: string[] } {
  const decoded = onnx.ModelProto.decode(model.bytes);
  const graph = decoded.graph!;
  const nodes = graph.node as OnnxTypes.NodeProto[];
  const resolved = outputs.map((name) => {
    if (!name.startsWith('@')) return name;
    const op = name.slice(1);
    const node = nodes.find((n) => n.opType === op);
    if (!node) throw new Error(`pruneHeadGraph: the head graph has no ${op}`);
    return node.output[0];
  });
  const declared = new Map((graph.output as OnnxTypes.ValueInfoProto[]).map((o) => [o.name, o]));
  graph.output = resolved.map(
    (name) => declared.get(name) ?? onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }),
  );
  const needed = new Set(resolved);
  const kept: OnnxTypes.NodeProto[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!node.output.some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.input) if (input) needed.add(input);
  }
  graph.node = kept.reverse();
  graph.initializer = (graph.initializer as OnnxTypes.TensorProto[]).filter((t) => needed.has(t.name));
  // Inputs the pruned graph no longer reads are dropped too, so feeds must match.
  graph.input = (graph.input as OnnxTypes.ValueInfoProto[]).filter((i) => needed.has(i.name));
  return {
    model: { bytes: onnx.ModelProto.encode(decoded).finish(), externalData: model.externalData },
    inputs: (graph.input as OnnxTypes.ValueInfoProto[]).map((i) => i.name),
  };
}
