/**
 * How much memory a GPT-2 needs in the page, known before anything is downloaded (from config.json
 * alone), so the model picker can say it and warn a reader whose device reports less.
 *
 * The engine holds every weight as float32 on either backend (a float16 file is widened when read):
 * the model graph's session holds all P parameters, the lens head's session its own copy of the
 * unembedding (V × d). Loading costs more than that for a moment: the checkpoint read into JavaScript,
 * the encoded graph, and ONNX Runtime's copy of it while it builds the session all coexist, and the
 * WASM heap never shrinks. LOAD_PEAK_PER_WEIGHT_BYTE is that peak measured, over the float32 bytes of
 * the parameters: the renderer's VmHWM once a GPT-2-small-shaped model was loaded on 2-thread WASM was
 * 2,585,796,608 bytes for 497,759,232 bytes of weights (`npm run bench -- --keystroke`, 2026-11-29,
 * bench/RESULTS.md "Keystroke"), so 5.2 ×. That includes the page itself, whose share is larger for a
 * small model: for those the estimate is low, but then so is the memory at stake.
 */
import type { GPT2Config } from './gpt2-config.ts';

/** Renderer peak ÷ float32 parameter bytes while GPT-2 small loads on WASM (measured; see above). */
export const LOAD_PEAK_PER_WEIGHT_BYTE = 5.2;

export interface MemoryEstimate {
  parameters: number;
  /** The parameters as float32: what the sessions hold. */
  weightBytes: number;
  /** The head session's own unembedding (float32, V × d). */
  unembeddingBytes: number;
  /** What the tab is expected to reach while the model loads. */
  peakBytes: number;
}

/** Parameters of a GPT-2: wte, wpe, per block 12d² + 13d (attention, MLP, two LayerNorms), ln_f. */
export function gpt2Parameters({ vocabSize: V, nPositions, dModel: d, numLayers: L }: GPT2Config): number {
  return V * d + nPositions * d + L * (12 * d * d + 13 * d) + 2 * d;
}

export function memoryEstimate(config: GPT2Config): MemoryEstimate {
  const parameters = gpt2Parameters(config);
  const weightBytes = 4 * parameters;
  return {
    parameters,
    weightBytes,
    unembeddingBytes: 4 * config.vocabSize * config.dModel,
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
