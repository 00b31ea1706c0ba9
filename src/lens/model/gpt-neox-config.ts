/**
 * A Hugging Face GPT-NeoX `config.json` (`model_type: "gpt_neox"`, Pythia's), reduced to what the
 * model graph needs (architecture.md §3 (GPT-NeoX); transformers' GPTNeoXConfig gives the defaults used here).
 *
 * Read keys: `hidden_size`, `num_hidden_layers`, `num_attention_heads`, `intermediate_size`,
 * `max_position_embeddings`, `vocab_size`, `layer_norm_eps` (1e-5), `rotary_pct` (0.25),
 * `rotary_emb_base` (10000), `use_parallel_residual` (true), `hidden_act` ("gelu"),
 * `tie_word_embeddings` (false), `attention_bias` (true), `rope_scaling` (null).
 * Settings the graph does not implement — another activation, RoPE scaling, attention without
 * biases — are refused with a clear error rather than computed wrongly.
 */
import { LensFormatError } from '../errors.ts';
import { MAX_TENSORS } from '../formats/limits.ts';
import type { ModelConfig } from './architecture.ts';

export interface GPTNeoXConfig extends ModelConfig {
  modelType: 'gpt_neox';
  /** `intermediate_size`: the MLP's width (4d in Pythia). */
  intermediateSize: number;
  /** `int(head_size · rotary_pct)`: how many of each head's dimensions rotate, as HF computes it. */
  rotaryDims: number;
  /** `rotary_emb_base`. */
  rotaryBase: number;
  /** `use_parallel_residual`: h' = h + attn(LN₁(h)) + mlp(LN₂(h)) rather than one after the other. */
  parallelResidual: boolean;
  /** `tie_word_embeddings`: W_U is embed_in itself (Pythia: false, W_U is embed_out). */
  tiedEmbeddings: boolean;
}

export function parseGPTNeoXConfig(json: unknown, fileName = 'config.json'): GPTNeoXConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new LensFormatError(`${fileName}: expected a JSON object (a Hugging Face config.json)`);
  }
  const c = json as Record<string, unknown>;
  if (c.model_type !== 'gpt_neox') {
    throw new LensFormatError(`${fileName}: says model_type ${JSON.stringify(c.model_type)}, not "gpt_neox"`);
  }
  const activation = c.hidden_act ?? 'gelu';
  if (activation !== 'gelu') {
    throw new LensFormatError(
      `${fileName}: hidden_act ${JSON.stringify(activation)} is not supported — the GPT-NeoX graph implements "gelu" (exact, with erf), as Pythia uses`,
    );
  }
  if (c.rope_scaling !== undefined && c.rope_scaling !== null) {
    throw new LensFormatError(`${fileName}: rope_scaling ${JSON.stringify(c.rope_scaling)} is not supported — the graph implements plain rotary embeddings`);
  }
  if (c.attention_bias === false) {
    throw new LensFormatError(`${fileName}: attention_bias is false, but the graph expects query_key_value and dense to have biases, as Pythia's do`);
  }
  const d = positiveInteger(c, 'hidden_size', fileName);
  const numHeads = positiveInteger(c, 'num_attention_heads', fileName);
  if (d % numHeads !== 0) {
    throw new LensFormatError(
      `${fileName}: hidden_size ${d} is not a multiple of num_attention_heads ${numHeads}, so the heads cannot split the residual stream`,
    );
  }
  const rotaryPct = c.rotary_pct === undefined ? 0.25 : number(c, 'rotary_pct', fileName);
  if (!(rotaryPct >= 0 && rotaryPct <= 1)) {
    throw new LensFormatError(`${fileName}: rotary_pct should be between 0 and 1, found ${rotaryPct}`);
  }
  const headSize = d / numHeads;
  const rotaryDims = Math.floor(headSize * rotaryPct);
  if (rotaryDims % 2 !== 0) {
    throw new LensFormatError(
      `${fileName}: rotary_pct ${rotaryPct} rotates ${rotaryDims} of each head's ${headSize} dimensions, an odd number — rotary embeddings turn them in pairs`,
    );
  }
  const numLayers = positiveInteger(c, 'num_hidden_layers', fileName);
  // Every layer is 12 tensors of the checkpoint, which may hold at most MAX_TENSORS (as for GPT-2).
  if (numLayers * 12 > MAX_TENSORS) {
    throw new LensFormatError(
      `${fileName}: num_hidden_layers ${numLayers} needs ${numLayers * 12} tensors, more than the ${MAX_TENSORS} a checkpoint may hold — the config is corrupted`,
    );
  }
  return {
    modelType: 'gpt_neox',
    dModel: d,
    numLayers,
    numHeads,
    nPositions: positiveInteger(c, 'max_position_embeddings', fileName),
    vocabSize: positiveInteger(c, 'vocab_size', fileName),
    layerNormEpsilon: c.layer_norm_eps === undefined ? 1e-5 : positive(c, 'layer_norm_eps', fileName),
    intermediateSize: positiveInteger(c, 'intermediate_size', fileName),
    rotaryDims,
    rotaryBase: c.rotary_emb_base === undefined ? 10000 : positive(c, 'rotary_emb_base', fileName),
    parallelResidual: c.use_parallel_residual === undefined ? true : boolean(c, 'use_parallel_residual', fileName),
    tiedEmbeddings: c.tie_word_embeddings === undefined ? false : boolean(c, 'tie_word_embeddings', fileName),
  };
}

function positiveInteger(c: Record<string, unknown>, key: string, fileName: string): number {
  const value = c[key];
  if (value === undefined) throw new LensFormatError(`${fileName}: ${key} is missing — is this a Hugging Face GPT-NeoX config.json?`);
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new LensFormatError(`${fileName}: ${key} should be a positive integer, found ${JSON.stringify(value)}`);
  }
  return value;
}

function number(c: Record<string, unknown>, key: string, fileName: string): number {
  const value = c[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new LensFormatError(`${fileName}: ${key} should be a number, found ${JSON.stringify(value)}`);
  }
  return value;
}

function positive(c: Record<string, unknown>, key: string, fileName: string): number {
  const value = number(c, key, fileName);
  if (!(value > 0)) throw new LensFormatError(`${fileName}: ${key} should be positive, found ${value}`);
  return value;
}

function boolean(c: Record<string, unknown>, key: string, fileName: string): boolean {
  const value = c[key];
  if (typeof value !== 'boolean') throw new LensFormatError(`${fileName}: ${key} should be true or false, found ${JSON.stringify(value)}`);
  return value;
}
