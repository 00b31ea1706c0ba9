/**
 * How much memory a model needs in the page, known before anything is downloaded (from config.json
 * alone, through its architecture), so the model picker can say it and warn a reader whose device
 * reports less.
 *
 * The engine holds every weight as float32 on either backend (a float16 file is widened when read):
 * the model graph's session holds the parameters it reads, the lens head's session the unembedding —
 * a second copy of it where the unembedding is the token embedding (tied, as GPT-2's is). Loading
 * costs more than that for a moment: the checkpoint is read into JavaScript whole, and ONNX Runtime
 * copies each weight from it into its sessions (the WASM heap, which never shrinks, and which its
 * prepacking of the matrix weights enlarges while a session is made); nothing keeps the JavaScript copy
 * afterwards (LensSession reads the unembedding again when training needs it).
 * LOAD_PEAK_PER_WEIGHT_BYTE is that peak measured, over the float32 bytes of the parameters: see its
 * comment. It includes the page itself, whose share is larger for a small model: for those the
 * estimate is low, but then so is the memory at stake.
 */
import type { ParsedConfig } from './architecture.ts';

/**
 * Renderer peak ÷ float32 parameter bytes while a GPT-2-small-shaped model loads on 2-thread WASM:
 * VmHWM 1,798,782,976 bytes for 497,759,232 bytes of weights (`npm run bench -- --keystroke`,
 * 2026-11-29 15:48 UTC, bench/RESULTS.md "Keystroke"), so 3.6 ×.
 */
export const LOAD_PEAK_PER_WEIGHT_BYTE = 3.6;

export interface MemoryEstimate {
  parameters: number;
  /** The parameters as float32: what the sessions hold. */
  weightBytes: number;
  /** The head session's second copy of a tied unembedding (float32, V × d); 0 where the head's is its own tensor. */
  unembeddingBytes: number;
  /** What the tab is expected to reach while the model loads. */
  peakBytes: number;
}

export function memoryEstimate({ config, parameters, tiedUnembedding }: ParsedConfig): MemoryEstimate {
  const weightBytes = 4 * parameters;
  return {
    parameters,
    weightBytes,
    unembeddingBytes: tiedUnembedding ? 4 * config.vocabSize * config.dModel : 0,
    peakBytes: Math.round(LOAD_PEAK_PER_WEIGHT_BYTE * weightBytes),
  };
}

/**
 * Whether to warn before loading: the device's reported memory (navigator.deviceMemory, in GiB, which
 * browsers round down and cap at 8) is below the estimate, or, where the browser does not report it,
 * an allocation of the estimate failed. Never blocks: the reader may load anyway.
 */
export function memoryShortfall(peakBytes: number, deviceMemoryGiB: number | undefined, allocationFailed: () => boolean): string | null {
  if (deviceMemoryGiB !== undefined && Number.isFinite(deviceMemoryGiB) && deviceMemoryGiB > 0) {
    // deviceMemory is capped at 8: 8 means "8 or more", never a reason to warn.
    return deviceMemoryGiB < 8 && deviceMemoryGiB * 2 ** 30 < peakBytes ? `this device reports about ${deviceMemoryGiB} GB of memory` : null;
  }
  return allocationFailed() ? 'this browser could not set that much memory aside just now' : null;
}
