/// <reference lib="webworker" />
/**
 * The trajectory benchmark in a browser Worker on onnxruntime-web's WASM backend (bundled by
 * browser.ts with esbuild; started by browser/index.html). The random weights are made here, in the
 * page — nothing large is downloaded. The page relays peak-memory requests to the driver (which reads
 * the renderer's /proc status) and gets this Worker's results back.
 *
 * Messages in:  {type: 'start', threads, lengths, runs, lenses, topk}  ·  {type: 'hook-reply', id, value}
 * Messages out: {type: 'log', message} · {type: 'progress', partial} · {type: 'hook', id, kind: 'reset' | 'read' | 'schedstat', at} · {type: 'done', result} · {type: 'error', message}
 */
import { wasmMemoryBytes } from './wasm-memory-probe.ts';
import * as ort from 'onnxruntime-web/webgpu';
import { Tokenizer } from '../../src/lens/tokenizer.ts';
import { runTrajectoryBench, type BenchOptions } from './core.ts';

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

function workerMemory(): Record<string, number> {
  const memory = (performance as { memory?: { usedJSHeapSize: number; totalJSHeapSize: number } }).memory;
  return {
    wasmMemory: wasmMemoryBytes(),
    ...(memory ? { workerJsHeapUsed: memory.usedJSHeapSize, workerJsHeapTotal: memory.totalJSHeapSize } : {}),
  };
}

interface Start extends BenchOptions {
  type: 'start';
  threads: number;
}

async function start(message: Start): Promise<void> {
  const base = new URL('/', scope.location.href).href;
  ort.env.wasm.wasmPaths = {
    mjs: `${base}ort/ort-wasm-simd-threaded.asyncify.mjs`,
    wasm: `${base}ort/ort-wasm-simd-threaded.asyncify.wasm`,
  };
  ort.env.wasm.numThreads = message.threads;
  ort.env.logLevel = 'error';
  log(`crossOriginIsolated ${String((scope as { crossOriginIsolated?: boolean }).crossOriginIsolated)}, numThreads ${message.threads}, ort ${ort.env.versions.web}`);

  const json = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  };
  const tokenizer = await Tokenizer.fromJson({
    tokenizerJson: await json('tokenizers/gpt2/tokenizer.json'),
    tokenizerConfig: await json('tokenizers/gpt2/tokenizer_config.json'),
  });

  const result = await runTrajectoryBench(
    {
      ort,
      runtime: 'onnxruntime-web (wasm)',
      threads: message.threads,
      ortVersion: ort.env.versions.web ?? 'unknown',
      tokenizer,
      executionProviders: ['wasm'],
      sessionOptionsOverride: message.sessionOptions,
      async resetPeak() {
        await hook('reset');
      },
      async readPeak(at) {
        return { ...workerMemory(), ...(await hook('read', at)) };
      },
      async schedstat() {
        const value = await hook('schedstat');
        return 'cpuMs' in value ? { cpuMs: value.cpuMs, waitMs: value.waitMs } : undefined;
      },
      log,
      progress(partial) {
        post({ type: 'progress', partial });
      },
    },
    message,
  );
  result.notes.push(
    `ort.env.wasm.numThreads ${message.threads}; ${ort.env.wasm.wasmPaths ? 'ort-wasm-simd-threaded.asyncify' : ''}; runs in a dedicated Worker`,
    `crossOriginIsolated ${String((scope as { crossOriginIsolated?: boolean }).crossOriginIsolated)}; ${navigator.userAgent}`,
  );
  post({ type: 'done', result });
}

scope.onmessage = (event: MessageEvent) => {
  const message = event.data as Start | { type: 'hook-reply'; id: number; value: Record<string, number> };
  if (message.type === 'hook-reply') {
    pending.get(message.id)?.(message.value);
    pending.delete(message.id);
    return;
  }
  if (message.type === 'start') {
    start(message).catch((e: unknown) => post({ type: 'error', message: String((e as Error)?.stack ?? e) }));
  }
};
