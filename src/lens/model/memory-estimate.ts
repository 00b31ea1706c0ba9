/**
 * How much memory a model needs in the page, known before anything is downloaded (from config.json
 * alone, through its architecture), so the model picker can say it and warn a reader whose device
 * reports less.
 *
 * The engine holds every weight once, as float32, on either backend (a float16 file is widened when
 * read): the model graph's parts hold their blocks, the lens head the unembedding; the token
 * embedding stays in the downloaded file (in the browser's storage) and is read row by row, so a
 * tied model (GPT-2, whose unembedding is its token embedding) is held once, and an untied one
 * (Pythia) without its token embedding. Loading costs more than that for a moment: each part's
 * weights are in JavaScript and in ONNX Runtime while its session is made (the WASM heap, which never
 * shrinks, with MLAS's packed copy beside the original), and the page itself takes its share.
 * LOAD_PEAK_PER_WEIGHT_BYTE is that peak measured, over the float32 bytes of the parameters: see its
 * comment. It includes the page itself, whose share is larger for a small model: for those the
 * estimate is low, but then so is the memory at stake.
 */
import type { ParsedConfig } from './architecture.ts';

/**
 * Renderer peak ÷ float32 parameter bytes while a GPT-2-small-shaped model loads on 2-thread WASM
 * from its downloaded model.safetensors: VmHWM 1,097,658,368 bytes for 497,759,232 bytes of weights
 * (`npm run bench -- --keystroke`, 2026-11-29 21:47 UTC, bench/RESULTS.md "Keystroke"), so 2.2 ×.
 */
export const LOAD_PEAK_PER_WEIGHT_BYTE = 2.2;

export interface MemoryEstimate {
  parameters: number;
  /** What the sessions hold: every parameter once, as float32, but an untied model's token embedding (read from the file). */
  weightBytes: number;
  /** What the tab is expected to reach while the model loads. */
  peakBytes: number;
}

export function memoryEstimate({ config, parameters, tiedUnembedding }: ParsedConfig): MemoryEstimate {
  return {
    parameters,
    weightBytes: 4 * (parameters - (tiedUnembedding ? 0 : config.vocabSize * config.dModel)),
    peakBytes: Math.round(LOAD_PEAK_PER_WEIGHT_BYTE * 4 * parameters),
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
