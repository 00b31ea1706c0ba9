/**
 * Picks WebGPU when the browser gives us an adapter, otherwise multi-threaded WASM, and says why —
 * the reason is shown to the reader.
 */
import type { Backend, BackendPreference } from './protocol.ts';

export interface BackendChoice {
  backend: Backend;
  reason: string;
}

interface GpuAdapter {
  info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string };
}

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<GpuAdapter | null> };
}

export async function chooseBackend(preference: BackendPreference): Promise<BackendChoice> {
  if (preference === 'wasm') return { backend: 'wasm', reason: 'WASM was asked for' };
  const gpu = (globalThis.navigator as GpuNavigator | undefined)?.gpu;
  if (!gpu) return { backend: 'wasm', reason: 'this browser has no WebGPU, so the model runs on WASM' };
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter?.info?.isFallbackAdapter && preference !== 'webgpu') {
      const name = [adapter.info.vendor, adapter.info.architecture].filter(Boolean).join(' ') || 'software';
      return { backend: 'wasm', reason: `the only WebGPU adapter is a software fallback (${name}), slower than WASM` };
    }
    if (adapter) return { backend: 'webgpu', reason: preference === 'webgpu' ? 'WebGPU was asked for' : 'a WebGPU adapter is available' };
    return { backend: 'wasm', reason: 'WebGPU found no usable GPU adapter, so the model runs on WASM' };
  } catch (e) {
    return { backend: 'wasm', reason: `WebGPU failed to start (${(e as Error).message}), so the model runs on WASM` };
  }
}

/** WASM threads need SharedArrayBuffer, which needs cross-origin isolation (COOP + COEP headers). */
export function wasmThreads(): number {
  if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1));
}
