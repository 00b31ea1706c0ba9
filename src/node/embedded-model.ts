/**
 * The embedded model at build time: the same checkpoint and tuned lens the page's engine loads by
 * default (public/models/<name>/), a LensSession on onnxruntime-node, so every static figure shows
 * numbers the model computed rather than numbers typed in. Loaded once per build (a module-level
 * promise) and shared by every page; trajectories are cached by their inputs (and translator statistics by the session).
 */
import { resolve } from 'node:path';
import { DEFAULT_MODEL_NAME } from '../engine/catalog.ts';
import type { LayerTransfer, TrajectoryOptions } from '../lens/lens-model.ts';
import { TunedLens } from '../lens/lens/tuned-lens.ts';
import type { TranslatorStats } from '../lens/lens/translator-stats.ts';
import type { LensSession } from '../lens/session.ts';
import type { PredictionTrajectory } from '../lens/trajectory/prediction-trajectory.ts';
import { PathSource } from './path-source.ts';
import { loadNodeSession } from './session.ts';

/** public/models/<name>/ from the project root (where `astro build` runs). */
export const EMBEDDED_MODEL_DIR = resolve(process.cwd(), 'public', 'models', DEFAULT_MODEL_NAME);

let loading: Promise<LensSession> | undefined;
const trajectories = new Map<string, Promise<PredictionTrajectory>>();

/** The embedded model with its lenses: "logit", and "tuned" from its folder (as the engine loads it). */
export function embeddedModel(): Promise<LensSession> {
  loading ??= load();
  return loading;
}

async function load(): Promise<LensSession> {
  // With its after-attention states, for the figures with sub-layer rows: the build's figures run
  // concurrently, so the graph is chosen once rather than swapped under them (its residual stream is
  // the ordinary graph's, bit for bit: tests/unit/sublayers.test.ts).
  const session = await loadNodeSession(new PathSource(EMBEDDED_MODEL_DIR), undefined, { afterAttention: true });
  session.addLens('tuned', await TunedLens.load(new PathSource(resolve(EMBEDDED_MODEL_DIR, 'lens')), { onNotice: () => undefined }));
  return session;
}

/**
 * What `lens` reads at every layer and position of `text` — the island's `engine.trajectory`, at build
 * time; `options` as LensModel.trajectory's (a followed token, the change per layer, sub-layer rows).
 */
export function buildTrajectory(text: string, lens: string, topk: number, options: Omit<TrajectoryOptions, 'topk'> = {}): Promise<PredictionTrajectory> {
  const key = JSON.stringify([
    text,
    lens,
    topk,
    options.follow ?? null,
    options.changePerLayer ?? false,
    options.consecutiveKl ?? false,
    options.sublayers ?? false,
  ]);
  let result = trajectories.get(key);
  if (!result) {
    result = embeddedModel().then((session) => session.trajectory(text, lens, { topk, ...options }));
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
    result = embeddedModel().then(async (session) => (await session.model.layerTransfer(session.model.encode(text), session.lens(lens)))!);
    transfers.set(key, result);
  }
  return result;
}

/** ‖A_ℓ‖, ‖b_ℓ‖ and the spectrum of I + A_ℓ for each translator of `lens` — the island's `engine.translatorStats`. */
export async function buildTranslatorStats(lens: string): Promise<TranslatorStats[]> {
  return (await embeddedModel()).translatorStats(lens);
}
