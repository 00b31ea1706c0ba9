/**
 * The embedded model at build time: the same checkpoint and tuned lens the page's engine loads by
 * default (public/models/<name>/), run in Node with onnxruntime-node, so every static figure shows
 * numbers the model computed rather than numbers typed in. Loaded once per build (a module-level
 * promise) and shared by every page; trajectories and translator statistics are cached by their inputs.
 */
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PathSource } from '../cli/path-source.ts';
import { DEFAULT_MODEL_NAME } from '../engine/catalog.ts';
import { LensModel, type LayerTransfer, type TrajectoryOptions } from '../lens/lens-model.ts';
import { checkLensFitsModel, LogitLens, TunedLens, type Lens } from '../lens/lens/tuned-lens.ts';
import { translatorStats, type TranslatorStats } from '../lens/lens/translator-stats.ts';
import { loadModelFiles } from '../lens/model/model-files.ts';
import { unembeddingOf, type Unembedding } from '../lens/train/unembedding.ts';
import type { PredictionTrajectory } from '../lens/trajectory/prediction-trajectory.ts';

export interface EmbeddedModel {
  model: LensModel;
  /** "logit" always; "tuned" when the model folder has its lens (as the engine does). */
  lenses: Map<string, Lens>;
  name: string;
  numLayers: number;
  dModel: number;
  vocabSize: number;
  /** The final LayerNorm and unembedding, which training a lens needs. */
  unembedding: Unembedding;
}

/** public/models/<name>/ from the project root (where `astro build` runs). */
export const EMBEDDED_MODEL_DIR = resolve(process.cwd(), 'public', 'models', DEFAULT_MODEL_NAME);

let loading: Promise<EmbeddedModel> | undefined;
const trajectories = new Map<string, Promise<PredictionTrajectory>>();
const translators = new Map<string, Promise<TranslatorStats[]>>();

export function embeddedModel(): Promise<EmbeddedModel> {
  loading ??= load();
  return loading;
}

async function load(): Promise<EmbeddedModel> {
  const files = await loadModelFiles(new PathSource(EMBEDDED_MODEL_DIR));
  const model = await LensModel.create(ort, files);
  const { numLayers, dModel, vocabSize } = model.config;
  const lenses = new Map<string, Lens>([['logit', new LogitLens(numLayers, dModel)]]);
  const tuned = await TunedLens.load(new PathSource(resolve(EMBEDDED_MODEL_DIR, 'lens')), { onNotice: () => undefined });
  checkLensFitsModel(tuned, { name: files.name, dModel, numLayers });
  lenses.set('tuned', tuned);
  return { model, lenses, name: DEFAULT_MODEL_NAME, numLayers, dModel, vocabSize, unembedding: unembeddingOf(files.checkpoint) };
}

/** The embedded model's lens by name; a figure asking for one it lacks is a mistake in the chapter. */
export async function buildLens(name: string): Promise<Lens> {
  const { lenses } = await embeddedModel();
  const lens = lenses.get(name);
  if (!lens) throw new Error(`static figure: the embedded model ${DEFAULT_MODEL_NAME} has no lens "${name}" (it has ${[...lenses.keys()].join(', ')})`);
  return lens;
}

/**
 * What `lens` reads at every layer and position of `text` — the island's `engine.trajectory`, at build
 * time; `options` as LensModel.trajectory's (a followed token, the change per layer).
 */
export function buildTrajectory(text: string, lens: string, topk: number, options: Omit<TrajectoryOptions, 'topk'> = {}): Promise<PredictionTrajectory> {
  const key = JSON.stringify([text, lens, topk, options.follow ?? null, options.changePerLayer ?? false, options.consecutiveKl ?? false]);
  let result = trajectories.get(key);
  if (!result) {
    result = (async () => {
      const { model } = await embeddedModel();
      return model.trajectory(model.encode(text), await buildLens(lens), { topk, ...options });
    })();
    trajectories.set(key, result);
  }
  return result;
}

const transfers = new Map<string, Promise<LayerTransfer>>();

/** Layer transfer of `lens` over `text` — the island's `engine.layerTransfer`, at build time. */
export function buildLayerTransfer(text: string, lens: string): Promise<LayerTransfer> {
  const key = JSON.stringify([text, lens]);
  let result = transfers.get(key);
  if (!result) {
    result = (async () => {
      const { model } = await embeddedModel();
      return (await model.layerTransfer(model.encode(text), await buildLens(lens)))!;
    })();
    transfers.set(key, result);
  }
  return result;
}

/** ‖A_ℓ‖, ‖b_ℓ‖ and the spectrum of I + A_ℓ for each translator of `lens` — the island's `engine.translatorStats`. */
export function buildTranslatorStats(lens: string): Promise<TranslatorStats[]> {
  let result = translators.get(lens);
  if (!result) {
    result = buildLens(lens).then((l) => translatorStats(l));
    translators.set(lens, result);
  }
  return result;
}
