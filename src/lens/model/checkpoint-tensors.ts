/**
 * The checks every architecture runs on a file's tensors before building anything from them: names
 * with or without the full model's prefix, no layer beyond the config, every expected tensor present
 * with its expected shape, every weight finite. What differs between architectures — the names, the
 * config's words in messages, tensors held aside for a check of their own — comes in `TensorRules`.
 */
import { LensFormatError } from '../errors.ts';
import { checkFiniteWeights } from '../formats/finite-weights.ts';
import { formatShape, releaseTensorData, sameShape, type Tensor32 } from '../tensor.ts';
import type { Unembedding } from '../train/unembedding.ts';
import type { ModelConfig } from './architecture.ts';

/** One expected tensor: its shape, and that shape in config terms for messages (e.g. `[n_embd, 3·n_embd]`). */
export interface ExpectedTensor {
  shape: number[];
  formula: string;
}

export interface TensorRules<E extends ExpectedTensor> {
  /** The architecture's name in messages, e.g. "GPT-2". */
  label: string;
  /** The prefix a full-model file puts before every name, e.g. "transformer.". */
  prefix: string;
  /** A per-layer name, capturing the layer's index. */
  layer: RegExp;
  /** Per-layer buffers that the model does not read, ignored even beyond the config's layers. */
  buffer: RegExp;
  numLayers: number;
  /** How messages call a layer and the config's layer count, e.g. "block" and "n_layer". */
  layerWord: string;
  layersKey: string;
  /** Names (unprefixed) held aside for the architecture to check itself, e.g. GPT-2's tied lm_head. */
  aside?: readonly string[];
  /** Said after the list of missing tensors, e.g. which config setting asks for one of them. */
  missingHint?(missing: string[]): string;
  /** The config values a wrong shape contradicts, e.g. "n_embd 768". */
  configSays(want: E): string;
}

export interface CheckedTensors {
  /** Every expected tensor by its unprefixed name, in the order of `expected`. */
  byName: Map<string, Tensor32>;
  /** Tensors in the file that the model does not use (by their names in the file). */
  ignored: string[];
  /** The tensors named in `rules.aside` that the file has, with their names in the file. */
  aside: Map<string, { nameInFile: string; tensor: Tensor32 }>;
}

/** How many token embeddings a checkpoint read from a file keeps once looked up (GPT-2: 12 MB). */
const EMBEDDING_ROWS_KEPT = 4096;

/** Checks `tensors` (as read from `fileName`) against `expected` and keeps them by reference. */
export function checkTensors<E extends ExpectedTensor>(
  tensors: Map<string, Tensor32>,
  expected: Map<string, E>,
  rules: TensorRules<E>,
  fileName: string,
): CheckedTensors {
  const { prefix, numLayers, layerWord, layersKey } = rules;
  const found = new Map<string, { nameInFile: string; tensor: Tensor32 }>();
  const aside = new Map<string, { nameInFile: string; tensor: Tensor32 }>();
  const ignored: string[] = [];
  for (const [nameInFile, tensor] of tensors) {
    const name = nameInFile.startsWith(prefix) ? nameInFile.slice(prefix.length) : nameInFile;
    if (rules.aside?.includes(name)) {
      aside.set(name, { nameInFile, tensor });
      continue;
    }
    if (found.has(name)) {
      throw new LensFormatError(`${fileName}: ${name} appears twice (with and without the '${prefix}' prefix) — which one is meant?`);
    }
    if (expected.has(name)) {
      found.set(name, { nameInFile, tensor });
      continue;
    }
    const layer = rules.layer.exec(name);
    if (layer && Number(layer[1]) >= numLayers && !rules.buffer.test(name)) {
      throw new LensFormatError(
        `${fileName}: ${nameInFile} belongs to ${layerWord} ${layer[1]} but config says ${layersKey} ${numLayers} — are config.json and the weights from the same model?`,
      );
    }
    ignored.push(nameInFile);
  }

  const missing = [...expected.keys()].filter((name) => !found.has(name));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '');
    const hint = rules.missingHint?.(missing) ?? '';
    throw new LensFormatError(
      `${fileName}: ${missing.length === 1 ? 'a tensor is' : `${missing.length} tensors are`} missing: ${shown}${hint} — config says ${layersKey} ${numLayers}; is the file complete and a ${rules.label} checkpoint?`,
    );
  }
  for (const [name, want] of expected) {
    const { nameInFile, tensor } = found.get(name)!;
    if (!sameShape(tensor.shape, want.shape)) {
      throw new LensFormatError(
        `${fileName}: ${nameInFile} has shape ${formatShape(tensor.shape)} but config says ${rules.configSays(want)} — expected ${formatShape(want.shape)} = ${want.formula}; are config.json and the weights from the same model?`,
      );
    }
  }
  // After the shapes, so that a file for another model is named as such rather than by a stray value.
  // A lazily read tensor is read here for the check alone, and freed at once (releaseTensorData).
  for (const { nameInFile, tensor } of found.values()) {
    const data = tensor.data;
    checkFiniteWeights({ data, shape: tensor.shape }, nameInFile, fileName);
    releaseTensorData(data);
  }

  const byName = new Map<string, Tensor32>();
  for (const name of expected.keys()) byName.set(name, found.get(name)!.tensor);
  return { byName, ignored, aside };
}

/**
 * A checkpoint's checked weights, by their unprefixed names, and the file's tensors it does not use;
 * each architecture's checkpoint adds its graph and unembedding.
 */
export abstract class CheckedCheckpoint<C extends ModelConfig> {
  protected constructor(
    readonly config: C,
    private readonly tensors: Map<string, Tensor32>,
    /** Tensors in the file that the model does not use (by their names in the file). */
    readonly ignored: string[],
  ) {}

  /** The class and one of its weight names, for the message when a name is not there. */
  protected abstract readonly naming: { owner: string; example: string };

  /** A weight by its unprefixed Hugging Face name. */
  get(name: string): Tensor32 {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new Error(`${this.naming.owner}: no tensor named '${name}' (names look like '${this.naming.example}')`);
    return tensor;
  }

  /** The unprefixed names of all weights, in the order of the architecture's expected tensors. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  /** The final LayerNorm's weight and bias, and W_U [V, d], by name. */
  protected abstract unembeddingNames(): { weight: string; bias: string; head: string };

  /** The token embedding [V, d], by name. */
  protected abstract readonly embeddingName: string;

  /**
   * Token embeddings [T, d] of `ids`, looked up here rather than in a model session: from a file read
   * piece by piece, row by row (the file stays where the browser keeps it), else from the embedding
   * matrix alone, kept by this function. So no session holds the matrix — which for a tied model
   * (GPT-2) would be a second copy of the unembedding the lens head holds.
   */
  tokenEmbedder(): (ids: readonly number[]) => Promise<Float32Array> {
    const tensor = this.get(this.embeddingName);
    const d = tensor.shape[1];
    const { rows } = tensor;
    if (!rows) {
      const data = tensor.data;
      return async (ids) => {
        const out = new Float32Array(ids.length * d);
        ids.forEach((id, i) => out.set(data.subarray(id * d, (id + 1) * d), i * d));
        return out;
      };
    }
    // Rows read before are kept (a keystroke mostly repeats the prompt's tokens), up to EMBEDDING_ROWS_KEPT.
    const kept = new Map<number, Float32Array>();
    return async (ids) => {
      const missing = [...new Set(ids.filter((id) => !kept.has(id)))];
      if (missing.length > 0) {
        const read = await rows(missing);
        if (kept.size + missing.length > EMBEDDING_ROWS_KEPT) kept.clear();
        missing.forEach((id, j) => kept.set(id, read.subarray(j * d, (j + 1) * d)));
      }
      const out = new Float32Array(ids.length * d);
      ids.forEach((id, i) => out.set(kept.get(id)!, i * d));
      return out;
    };
  }

  /** The frozen head every lens decodes through: Unembed(h) = LN_f(h)·W_Uᵀ. */
  unembedding(): Unembedding {
    const { dModel, vocabSize, layerNormEpsilon } = this.config;
    const names = this.unembeddingNames();
    return {
      dModel,
      vocabSize,
      layerNormEpsilon,
      lnFWeight: this.get(names.weight).data,
      lnFBias: this.get(names.bias).data,
      wte: this.get(names.head).data,
    };
  }
}
