/// <reference lib="webworker" />
/**
 * The page's one engine Worker: owns the tokenizer, the model and lens sessions, so every island on a
 * page shares one loaded model and the page stays responsive while it runs.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { FilesSource } from '../lens/io/files-source.ts';
import { UrlSource } from '../lens/io/url-source.ts';
import { LensModel } from '../lens/lens-model.ts';
import { checkLensFitsModel, LogitLens, TunedLens, type Lens } from '../lens/lens/tuned-lens.ts';
import { translatorStats, type TranslatorStats } from '../lens/lens/translator-stats.ts';
import { loadModelFiles } from '../lens/model/model-files.ts';
import { chooseBackend, wasmThreads } from './backend.ts';
import type { ErrorInfo, ModelEntry, ModelInfo, Request, Response } from './protocol.ts';

// Our pinned onnxruntime-web's WASM and its loader script, emitted by Vite beside this chunk. Both
// are named explicitly: left unset, importing @huggingface/transformers points them at a CDN, and
// the loader inlined in ORT's bundle would start WASM threads from this Worker's own script.
ort.env.wasm.wasmPaths = {
  mjs: new URL('../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs', import.meta.url).href,
  wasm: new URL('../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm', import.meta.url).href,
};
ort.env.wasm.numThreads = wasmThreads();
ort.env.logLevel = 'error';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: Response) => scope.postMessage(message);

let model: LensModel | null = null;
let info: ModelInfo | null = null;
const lenses = new Map<string, Lens>();
/** Translator statistics are O(L d³) to compute (seconds for GPT-2), so each lens's are kept. */
const statsByLens = new WeakMap<Lens, TranslatorStats[]>();

/** Runs are serial (one session cannot run twice at once); a cancelled run that has not started is dropped. */
const cancelled = new Set<number>();
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event: MessageEvent<Request>) => {
  const request = event.data;
  if (request.type === 'cancel') {
    cancelled.add(request.id);
    return;
  }
  queue = queue.then(() => handle(request));
};

async function handle(request: Exclude<Request, { type: 'cancel' }>): Promise<void> {
  const { id } = request;
  if (cancelled.delete(id)) {
    post({ type: 'cancelled', id });
    return;
  }
  try {
    switch (request.type) {
      case 'estimate':
        post({ type: 'estimate', id, files: await estimate(request.model) });
        return;
      case 'load':
        post({ type: 'loaded', id, info: await load(id, request.model, request.backend) });
        return;
      case 'trajectory': {
        if (!model) throw new Error('No model is loaded yet — pick one and load it first.');
        const lens = lenses.get(request.lens);
        if (!lens) throw new Error(`No lens named '${request.lens}' is loaded for ${model.name}.`);
        const start = performance.now();
        const result = await model.trajectory(model.encode(request.text), lens, { topk: request.topk });
        if (cancelled.delete(id)) {
          post({ type: 'cancelled', id });
          return;
        }
        post({ type: 'trajectory', id, result, ms: performance.now() - start });
        return;
      }
      case 'translator-stats': {
        if (!model) throw new Error('No model is loaded yet — pick one and load it first.');
        const lens = lenses.get(request.lens);
        if (!lens) throw new Error(`No lens named '${request.lens}' is loaded for ${model.name}.`);
        let stats = statsByLens.get(lens);
        if (!stats) {
          stats = translatorStats(lens, (loaded, total) => post({ type: 'progress', id, file: 'translators', loaded, total }));
          statsByLens.set(lens, stats);
        }
        post({ type: 'translator-stats', id, stats });
        return;
      }
      case 'add-lens': {
        if (!model || !info) throw new Error('Load a model before adding a lens.');
        const lens = await TunedLens.load(new FilesSource(request.name, new Map(Object.entries(request.files))), {
          onNotice: (message) => console.info(message),
        });
        checkLensFitsModel(lens, { name: model.name, dModel: model.config.dModel, numLayers: model.config.numLayers });
        lenses.set(request.name, lens);
        info = { ...info, lenses: [...lenses.keys()] };
        post({ type: 'lens-added', id, info });
        return;
      }
    }
  } catch (e) {
    post({ type: 'error', id, error: errorInfo(e) });
  }
}

async function estimate(entry: ModelEntry) {
  return Promise.all(
    entry.files.map(async ({ url, label }) => {
      try {
        const response = await fetch(url, { method: 'HEAD' });
        const length = response.ok ? response.headers.get('content-length') : null;
        return { url, label, bytes: length === null ? null : Number(length) };
      } catch {
        return { url, label, bytes: null };
      }
    }),
  );
}

async function load(id: number, entry: ModelEntry, preference: 'auto' | 'webgpu' | 'wasm'): Promise<ModelInfo> {
  const start = performance.now();
  const onProgress = ({ file, loaded, total }: { file: string; loaded: number; total: number | undefined }) =>
    post({ type: 'progress', id, file, loaded, total });
  const cacheName = entry.cache ? undefined : null;
  const files = await loadModelFiles(new UrlSource(entry.modelUrl, { cacheName }), {
    tokenizer: new UrlSource(entry.tokenizerUrl, { cacheName: null }),
    onProgress,
  });
  let lensError: string | null = null;
  let tuned: TunedLens | null = null;
  if (entry.lensUrl) {
    try {
      tuned = await TunedLens.load(new UrlSource(entry.lensUrl, { cacheName }), { onProgress, onNotice: (m) => console.info(m) });
      checkLensFitsModel(tuned, { name: files.name, dModel: files.checkpoint.config.dModel, numLayers: files.checkpoint.config.numLayers });
    } catch (e) {
      tuned = null;
      lensError = errorInfo(e).message;
    }
  } else {
    lensError = `${entry.label} has no pretrained tuned lens; the logit lens still works.`;
  }

  await model?.release();
  model = null;
  lenses.clear();
  let choice = await chooseBackend(preference);
  try {
    model = await LensModel.create(ort, files, { executionProviders: [choice.backend] });
  } catch (e) {
    if (choice.backend !== 'webgpu') throw e;
    choice = { backend: 'wasm', reason: `WebGPU could not run the model (${errorInfo(e).message}), so it runs on WASM` };
    model = await LensModel.create(ort, files, { executionProviders: ['wasm'] });
  }
  const config = model.config;
  lenses.set('logit', new LogitLens(config.numLayers, config.dModel));
  if (tuned) lenses.set('tuned', tuned);
  info = {
    key: entry.key,
    name: model.name,
    numLayers: config.numLayers,
    dModel: config.dModel,
    vocabSize: config.vocabSize,
    nPositions: config.nPositions,
    backend: choice.backend,
    backendReason: choice.reason,
    threads: choice.backend === 'wasm' ? ort.env.wasm.numThreads ?? 1 : 0,
    lenses: [...lenses.keys()],
    lensError,
    loadMs: performance.now() - start,
  };
  return info;
}

function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}
