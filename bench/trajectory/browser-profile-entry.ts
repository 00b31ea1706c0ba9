/// <reference lib="webworker" />
/**
 * profile-core.ts in a browser Worker on onnxruntime-web's WASM backend (page: browser/index.html
 * with ?mode=profile; driver: browser.ts). CPU time per run comes from the renderer's /proc schedstat,
 * read by the driver. Same messages as browser-entry.ts.
 */
import './wasm-memory-probe.ts';
import * as ort from 'onnxruntime-web/webgpu';
import { profileHead } from './profile-core.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: unknown) => scope.postMessage(message);
const log = (message: string) => post({ type: 'log', message });

const pending = new Map<number, (value: Record<string, number>) => void>();
let nextId = 0;
function hook(kind: 'reset' | 'read' | 'schedstat', at?: string): Promise<Record<string, number>> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    post({ type: 'hook', id, kind, at });
  });
}

async function start(message: { threads: number; lengths: number[]; runs: number }): Promise<void> {
  const base = new URL('/', scope.location.href).href;
  ort.env.wasm.wasmPaths = {
    mjs: `${base}ort/ort-wasm-simd-threaded.asyncify.mjs`,
    wasm: `${base}ort/ort-wasm-simd-threaded.asyncify.wasm`,
  };
  ort.env.wasm.numThreads = message.threads;
  ort.env.logLevel = 'error';
  await hook('reset'); // lets the driver find the renderer
  const perT = await profileHead(
    {
      ort,
      sessionOptions: { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 },
      async schedstat() {
        const value = await hook('schedstat');
        return 'cpuMs' in value ? { cpuMs: value.cpuMs, waitMs: value.waitMs } : undefined;
      },
      log,
    },
    message.lengths,
    message.runs,
  );
  post({
    type: 'done',
    result: { date: new Date().toISOString(), runtime: 'onnxruntime-web (wasm)', threads: message.threads, ortVersion: ort.env.versions.web, runs: message.runs, perT },
  });
}

scope.onmessage = (event: MessageEvent) => {
  const message = event.data as { type: 'start'; threads: number; lengths: number[]; runs: number } | { type: 'hook-reply'; id: number; value: Record<string, number> };
  if (message.type === 'hook-reply') {
    pending.get(message.id)?.(message.value);
    pending.delete(message.id);
  } else if (message.type === 'start') {
    start(message).catch((e: unknown) => post({ type: 'error', message: String((e as Error)?.stack ?? e) }));
  }
};
