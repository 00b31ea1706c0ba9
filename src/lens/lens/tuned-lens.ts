/**
 * The tuned lens: one affine translator per layer ℓ = 0..L-1, applied in residual form
 * h + A_ℓ h + b_ℓ (A_ℓ stored [out, in] like torch.nn.Linear), before the model's own final LayerNorm
 * and unembedding. The logit lens is the same thing with every translator zero.
 */
import { LensFormatError, ModelMismatchError } from '../errors.ts';
import { readTorchStateDict } from '../formats/torch-pickle.ts';
import { checkFiniteWeights } from '../formats/finite-weights.ts';
import { readSafetensors } from '../formats/safetensors.ts';
import { fileLabel, readJson, type ProgressCallback, type Source } from '../io/source.ts';
import { formatShape, sameShape, type Tensor32 } from '../tensor.ts';
import { parseLensConfig, type LensConfig } from './lens-config.ts';

/** What the head graph needs from any lens. */
export interface Lens {
  readonly kind: 'tuned' | 'logit';
  readonly numLayers: number;
  readonly dModel: number;
  /** [L, d, d], translator ℓ's A stored [out, in]. */
  readonly translatorWeight: Float32Array;
  /** [L, d] */
  readonly translatorBias: Float32Array;
}

export interface ModelShape {
  name: string;
  dModel: number;
  numLayers: number;
}

export interface LoadOptions {
  onProgress?: ProgressCallback;
  /** Receives notices such as ignored config keys; defaults to console.warn. */
  onNotice?: (message: string) => void;
}

export class TunedLens implements Lens {
  readonly kind = 'tuned' as const;

  constructor(
    readonly config: LensConfig,
    readonly translatorWeight: Float32Array,
    readonly translatorBias: Float32Array,
  ) {}

  get numLayers(): number {
    return this.config.numLayers;
  }

  get dModel(): number {
    return this.config.dModel;
  }

  /** Reads `config.json` and `params.pt` (or `params.safetensors`) from a folder, URL or dropped files. */
  static async load(source: Source, options: LoadOptions = {}): Promise<TunedLens> {
    const notice = options.onNotice ?? ((message: string) => console.warn(message));
    const config = parseLensConfig(await readJson(source, 'config.json'), fileLabel(source, 'config.json'), notice);
    let tensors: Map<string, Tensor32>;
    let fileName: string;
    if (await source.has('params.pt')) {
      fileName = fileLabel(source, 'params.pt');
      tensors = readTorchStateDict(await source.read('params.pt', options.onProgress), fileName);
    } else if (await source.has('params.safetensors')) {
      fileName = fileLabel(source, 'params.safetensors');
      tensors = readSafetensors(await source.read('params.safetensors', options.onProgress), fileName);
    } else {
      throw new LensFormatError(`${source.name}: found config.json but neither params.pt nor params.safetensors`);
    }
    return TunedLens.fromStateDict(config, tensors, fileName, notice);
  }

  /**
   * Builds the lens from a state dict in either format's key names, checking every shape and that
   * every weight is finite. The [L, d, d] buffer is allocated only once the file has shown it holds
   * those translators, so a config.json that claims a huge d_model cannot make us allocate for it.
   */
  static fromStateDict(config: LensConfig, tensors: Map<string, Tensor32>, fileName: string, notice: (message: string) => void): TunedLens {
    const { dModel: d, numLayers: L } = config;
    const keyOf = translatorKeys(tensors, config);
    const used = new Set<string>();
    const translators: { layer: number; weight: Tensor32; bias: Tensor32 | undefined }[] = [];
    for (let layer = 0; layer < L; layer++) {
      const prefix = keyOf(layer);
      if (prefix === undefined) continue;
      translators.push({
        layer,
        weight: take(tensors, `${prefix}.weight`, [d, d], fileName, layer, used),
        bias: config.bias ? take(tensors, `${prefix}.bias`, [d], fileName, layer, used) : undefined,
      });
    }
    if (translators.length === 0) {
      throw new LensFormatError(`${fileName}: config.json leaves no translator to read (${L} layer, include_input false) — this is not a tuned lens`);
    }
    const weight = new Float32Array(L * d * d);
    const bias = new Float32Array(L * d);
    for (const t of translators) {
      weight.set(t.weight.data, t.layer * d * d);
      if (t.bias) bias.set(t.bias.data, t.layer * d);
    }
    for (const key of tensors.keys()) {
      if (used.has(key)) continue;
      if (/^(layer_norm|unembedding)\./.test(key)) continue; // legacy files carry copies of the model's head
      if (/^\d+\./.test(key) || /(adapter|probe)/.test(key)) {
        throw new LensFormatError(`${fileName}: has '${key}' but config.json says ${L} layers — the config and the weights disagree`);
      }
      notice(`TunedLens.load: ignoring tensor '${key}'`);
    }
    return new TunedLens(config, weight, bias);
  }

  /** The lens as a current-format state dict ("0.weight", "0.bias", …). */
  stateDict(): Map<string, Tensor32> {
    const { dModel: d, numLayers: L } = this.config;
    const out = new Map<string, Tensor32>();
    for (let layer = 0; layer < L; layer++) {
      out.set(`${layer}.weight`, { shape: [d, d], data: this.translatorWeight.slice(layer * d * d, (layer + 1) * d * d) });
      out.set(`${layer}.bias`, { shape: [d], data: this.translatorBias.slice(layer * d, (layer + 1) * d) });
    }
    return out;
  }
}

export class LogitLens implements Lens {
  readonly kind = 'logit' as const;
  readonly translatorWeight: Float32Array;
  readonly translatorBias: Float32Array;

  constructor(
    readonly numLayers: number,
    readonly dModel: number,
  ) {
    this.translatorWeight = new Float32Array(numLayers * dModel * dModel);
    this.translatorBias = new Float32Array(numLayers * dModel);
  }
}

/** Refuses a lens made for another model before anything runs. */
export function checkLensFitsModel(lens: Lens, model: ModelShape): void {
  if (lens.dModel !== model.dModel) {
    throw new ModelMismatchError(
      `lens: translator 0 has shape [${lens.dModel}, ${lens.dModel}] but ${model.name} has d_model ${model.dModel} — is this lens for another model?`,
    );
  }
  if (lens.numLayers !== model.numLayers) {
    throw new ModelMismatchError(
      `lens: it has ${lens.numLayers} translators but ${model.name} has ${model.numLayers} layers — is this lens for another model?`,
    );
  }
}

/** Maps layer → key prefix, for the current names ("3") and the legacy ones (input_adapter, layer_adapters.2). */
function translatorKeys(tensors: Map<string, Tensor32>, config: LensConfig): (layer: number) => string | undefined {
  if (tensors.has('0.weight') || config.format === 'current') return (layer) => `${layer}`;
  const word = [...tensors.keys()].some((k) => k.startsWith('input_probe.') || k.startsWith('layer_probes.')) ? 'probe' : 'adapter';
  return (layer) => (layer === 0 ? (config.includeInput ? `input_${word}` : undefined) : `layer_${word}s.${layer - 1}`);
}

function take(tensors: Map<string, Tensor32>, key: string, shape: number[], fileName: string, layer: number, used: Set<string>): Tensor32 {
  const tensor = tensors.get(key);
  if (!tensor) throw new LensFormatError(`${fileName}: translator ${layer} is missing '${key}'`);
  if (!sameShape(tensor.shape, shape)) {
    throw new ModelMismatchError(
      `${fileName}: translator ${layer} ('${key}') has shape ${formatShape(tensor.shape)} but config.json says ${formatShape(shape)} — the file is inconsistent`,
    );
  }
  checkFiniteWeights(tensor, key, fileName);
  used.add(key);
  return tensor;
}
