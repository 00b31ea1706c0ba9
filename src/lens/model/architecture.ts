/**
 * What every model architecture gives the rest of the library: its config in common terms, its
 * checked weights, its model graph (ids → residual stream), and its unembedding — the final
 * LayerNorm and W_U that every lens reads through. One implementation per `config.json`
 * `model_type`, listed in `architectures.ts`.
 */
import type { OnnxModel } from '../onnx/graph-builder.ts';
import type { ModelGraphOptions } from './residual-stream.ts';
import { countParameters, type Tensor32 } from '../tensor.ts';
import type { Unembedding } from '../train/unembedding.ts';

/** A model's shape, in the terms the lenses, the head graph and the pages use. */
export interface ModelConfig {
  /** `config.json`'s `model_type`, e.g. "gpt2" or "gpt_neox". */
  modelType: string;
  /** The width d of the residual stream. */
  dModel: number;
  /** The number of blocks L; the residual stream has L + 1 rows. */
  numLayers: number;
  numHeads: number;
  /** The longest context the model reads. */
  nPositions: number;
  /** Rows of the unembedding (may exceed the tokenizer's vocabulary: Pythia pads to 50,304). */
  vocabSize: number;
  /** ε of the final LayerNorm (and of every other LayerNorm of the model). */
  layerNormEpsilon: number;
}

/** Weights checked against their config, ready to build graphs from. */
export interface ModelCheckpoint {
  readonly config: ModelConfig;
  /** Tensors in the file that the model does not use (by their names in the file). */
  readonly ignored: string[];
  /**
   * The model graph: `token_embeddings` float32 [T, d] → `residual_stream` float32 [L + 1, T, d], its weights as
   * external data; with `afterAttention` also `after_attention` [L, T, d] (residual-stream.ts).
   */
  modelGraph(options?: ModelGraphOptions): OnnxModel;
  /** Token embeddings [T, d] of ids, which the model graph's first part reads (`token_embeddings`). */
  tokenEmbedder(): (ids: readonly number[]) => Promise<Float32Array>;
  /** The frozen head every lens decodes through: Unembed(h) = LN_f(h)·W_Uᵀ. */
  unembedding(): Unembedding;
}

/** One `model_type`: how to read its config.json, and through it, its weights. */
export interface Architecture {
  /** `config.json`'s `model_type`. */
  modelType: string;
  /** A name for messages and the pages, e.g. "GPT-NeoX". */
  label: string;
  /** Reads the config, refusing settings the graph does not implement. */
  parseConfig(json: unknown, fileName: string): ParsedConfig;
}

/** A config read by its architecture, which knows how to check weights against it. */
export interface ParsedConfig {
  config: ModelConfig;
  /** How many weights a checkpoint of this config holds (every tensor the model reads). */
  parameters: number;
  /** The unembedding is the token embedding (tied), so the model graph and the lens head each hold it. */
  tiedUnembedding: boolean;
  /** Checks `tensors` (as read from `fileName`) against the config and keeps them. */
  checkpoint(tensors: Map<string, Tensor32>, fileName: string): ModelCheckpoint;
}

/** What an architecture is made of; `architecture` joins the parts into its registry entry. */
export interface ArchitectureParts<C extends ModelConfig> {
  /** Reads the config, refusing settings the graph does not implement. */
  readConfig(json: unknown, fileName: string): C;
  /** Every tensor a checkpoint of this config holds, with its shape. */
  expectedTensors(config: C): ReadonlyMap<string, { shape: readonly number[] }>;
  tiedUnembedding(config: C): boolean;
  checkpoint(config: C, tensors: Map<string, Tensor32>, fileName: string): ModelCheckpoint;
}

export function architecture<C extends ModelConfig>(modelType: string, label: string, parts: ArchitectureParts<C>): Architecture {
  return {
    modelType,
    label,
    parseConfig(json, fileName) {
      const config = parts.readConfig(json, fileName);
      return {
        config,
        parameters: countParameters(parts.expectedTensors(config)),
        tiedUnembedding: parts.tiedUnembedding(config),
        checkpoint: (tensors, tensorsFile) => parts.checkpoint(config, tensors, tensorsFile),
      };
    },
  };
}
