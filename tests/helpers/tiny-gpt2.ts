/**
 * The tiny GPT-2 fixtures (tests/fixtures/tiny-gpt2*, made by tools/reference/make_fixtures.py) and
 * the expected values that come with them.
 */
import { readSafetensors } from '../../src/lens/formats/safetensors.ts';
import { GPT2Checkpoint } from '../../src/lens/model/gpt2-checkpoint.ts';
import { parseGPT2Config } from '../../src/lens/model/gpt2-config.ts';
import type { Tensor32 } from '../../src/lens/tensor.ts';
import { readFixture, readFixtureJson } from './fixtures.ts';

/** Per-cell values indexed [row][position] (null at the last position for cross_entropy and rank). */
export interface ExpectedLens {
  rows: string[];
  top1_ids: number[][];
  topk_ids: number[][][];
  topk_logprobs: number[][][];
  entropy: number[][];
  cross_entropy: (number | null)[][];
  forward_kl: number[][];
  max_probability: number[][];
  rank: (number | null)[][];
  /** How many other tokens lie within 1e-4 of the target's log-prob (so the rank may shift by that). */
  rank_tolerance?: (number | null)[][];
  logprobs_sample?: { ids: number[]; values: number[][][] };
}

export interface ExpectedPrompt {
  name: string;
  text?: string;
  input_ids: number[];
  residual_stream: { shape: number[]; data: number[] };
  lenses: { logit: ExpectedLens; tuned: ExpectedLens };
}

export interface Expected {
  topk: number;
  prompts: ExpectedPrompt[];
}

/** `tiny-gpt2` or `tiny-gpt2-f16`: config.json + model.safetensors, checked. */
export function loadTinyCheckpoint(folder: string): GPT2Checkpoint {
  const config = parseGPT2Config(readFixtureJson(`${folder}/config.json`), `${folder}/config.json`);
  const tensors = readSafetensors(readFixture(`${folder}/model.safetensors`), `${folder}/model.safetensors`);
  return GPT2Checkpoint.fromTensors(config, tensors, `${folder}/model.safetensors`);
}

export function loadExpected(name: string): Expected {
  return readFixtureJson<Expected>(`expected/${name}.json`);
}

/** tools/reference/make_instrument_fixtures.py's values for one lens on one prompt (see its docstring). */
export interface ExpectedInstrumentLens {
  top1_ids: number[][];
  top1_margin: number;
  prediction_depth: number[];
  /** [row][position]; row 0 is all null (no layer below it). */
  change_per_layer: (number | null)[][];
  follow: { id: number; logprob: number[][]; rank: number[][]; rank_tolerance: number[][] }[];
  /** [row][position] KL(q_ℓ ‖ q_ℓ₋₁); row 0 is all null. */
  consecutive_kl: (number | null)[][];
  /** Rows 0, "0 · after attention", …, output: top-1, forward KL and entropy per cell. */
  sublayers: { top1_ids: number[][]; forward_kl: number[][]; entropy: number[][] };
}

export interface ExpectedInstruments {
  model: string;
  follow_ids: number[];
  prompts: {
    name: string;
    input_ids: number[];
    lenses: { logit: ExpectedInstrumentLens; tuned: ExpectedInstrumentLens };
    /** [translator i][hidden state j]: mean KL(p ‖ q) over the prompt's positions, tuned lens. */
    transfer: number[][];
  }[];
}

/** expected/<model>-instruments.json (tiny-gpt2 or tiny-neox): every instrument's reference values. */
export function loadExpectedInstruments(model: 'tiny-gpt2' | 'tiny-neox' = 'tiny-gpt2'): ExpectedInstruments {
  return readFixtureJson<ExpectedInstruments>(`expected/${model}-instruments.json`);
}

/** Translators 0..count-1 from a state dict with keys "0.weight" [d, d], "0.bias" [d], …, stacked. */
export function stackTranslators(state: Map<string, Tensor32>, count: number, d: number): { weight: Float32Array; bias: Float32Array } {
  const weight = new Float32Array(count * d * d);
  const bias = new Float32Array(count * d);
  for (let i = 0; i < count; i++) {
    const w = state.get(`${i}.weight`);
    const b = state.get(`${i}.bias`);
    if (!w || !b) throw new Error(`translator ${i} is missing from the lens state dict (keys: ${[...state.keys()].join(', ')})`);
    weight.set(w.data, i * d * d);
    bias.set(b.data, i * d);
  }
  return { weight, bias };
}
