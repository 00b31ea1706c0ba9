/// <reference lib="webworker" />
/**
 * The trajectory benchmark in a browser Worker on onnxruntime-web's WASM backend (bundled by
 * browser.ts with esbuild; started by browser/index.html). The random weights are made here, in the
 * page — nothing large is downloaded. The page relays peak-memory requests to the driver (which reads
 * the renderer's /proc status) and gets this Worker's results back.
 *
 * Messages: browser-worker.ts; the start message carries {threads, lengths, runs, lenses, topk}.
 */
import { wasmMemoryBytes } from './wasm-memory-probe.ts';
import * as ort from 'onnxruntime-web/webgpu';
import { UrlSource } from '../../src/lens/io/url-source.ts';
import { loadModelFiles } from '../../src/lens/model/model-files.ts';
import { Tokenizer } from '../../src/lens/tokenizer.ts';
import { runTrajectoryBench, type BenchOptions } from './core.ts';
import { hook, log, post, scope, schedstat, serve, setUpWasm } from './browser-worker.ts';

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
  const base = setUpWasm(message.threads);
  log(
    `crossOriginIsolated ${String((scope as { crossOriginIsolated?: boolean }).crossOriginIsolated)}, numThreads ${message.threads}, ort ${ort.env.versions.web}`,
  );

  const json = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  };
  let tokenizer: Promise<Tokenizer> | undefined;

  const result = await runTrajectoryBench(
    {
      ort,
      runtime: 'onnxruntime-web (wasm)',
      threads: message.threads,
      ortVersion: ort.env.versions.web ?? 'unknown',
      tokenizer: () =>
        (tokenizer ??= (async () =>
          Tokenizer.fromJson({
            tokenizerJson: await json('tokenizers/gpt2/tokenizer.json'),
            tokenizerConfig: await json('tokenizers/gpt2/tokenizer_config.json'),
          }))()),
      executionProviders: ['wasm'],
      sessionOptionsOverride: message.sessionOptions,
      async resetPeak() {
        await hook('reset');
      },
      // As the site loads a hub model: downloaded once into Cache Storage, its tokenizer beside it.
      readFiles: () =>
        loadModelFiles(new UrlSource(`${base}models/random-gpt2/`), { tokenizer: new UrlSource(`${base}tokenizers/gpt2/`, { cacheName: null }) }),
      async readPeak(at) {
        return { ...workerMemory(), ...(await hook('read', at)) };
      },
      schedstat,
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

serve(start);
