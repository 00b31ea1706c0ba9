/**
 * Writes the train-step graphs that bench/train/device_bench.py times on the device machine (Python
 * onnxruntime 1.30.0 — the same kernels as onnxruntime-node 1.30.0) into bench/out/train-graphs/:
 *
 *   train-step-tiny.onnx        the tiny fixture model's graph, weights included (6.5 MB)
 *   train-step-d768-v16.onnx    a GPT-2-small-shaped graph (d 768) with a 16-token stand-in
 *                               vocabulary: the graph takes V from wte's shape, so the device
 *                               script swaps in a random [50257, 768] wte (154 MB, too big to send)
 *
 *   npx tsx bench/train/export-graphs.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildTrainStepGraph } from '../../src/lens/train/train-step-graph.ts';
import { unembeddingOf } from '../../src/lens/train/unembedding.ts';
import { loadTinyCheckpoint } from '../../tests/helpers/tiny-gpt2.ts';
import { Rng } from '../trajectory/random-gpt2.ts';

const out = new URL('../out/train-graphs/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL('train-step-tiny.onnx', out), buildTrainStepGraph(unembeddingOf(loadTinyCheckpoint('tiny-gpt2'))));
const d = 768;
const V = 16;
writeFileSync(
  new URL('train-step-d768-v16.onnx', out),
  buildTrainStepGraph({
    dModel: d,
    vocabSize: V,
    layerNormEpsilon: 1e-5,
    lnFWeight: new Float32Array(d).fill(1),
    lnFBias: new Float32Array(d),
    wte: new Rng(1).fillNormal(new Float32Array(V * d), 0.02),
  }),
);
console.log(`wrote ${new URL('.', out).pathname}`);
