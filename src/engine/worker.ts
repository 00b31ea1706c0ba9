/// <reference lib="webworker" />
/**
 * The page's one engine Worker: owns the tokenizer, the model and lens sessions, so every island on a
 * page shares one loaded model and the page stays responsive while it runs.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { hubModelIdOfUrl } from '../lens/hub.ts';
import { FilesSource } from '../lens/io/files-source.ts';
import { UrlSource } from '../lens/io/url-source.ts';
import { LensModel } from '../lens/lens-model.ts';
import { checkLensFitsModel, LogitLens, TunedLens, type Lens } from '../lens/lens/tuned-lens.ts';
import { translatorStats, type TranslatorStats } from '../lens/lens/translator-stats.ts';
import { parseGPT2Config } from '../lens/model/gpt2-config.ts';
import { memoryEstimate, type MemoryEstimate } from '../lens/model/memory-estimate.ts';
import { loadModelFiles } from '../lens/model/model-files.ts';
import { unembeddingOf, type Unembedding } from '../lens/train/unembedding.ts';
import { chooseBackend, wasmThreads } from './backend.ts';
import { endOfTextId, LiveTraining } from './live-training.ts';
import type { Backend, ErrorInfo, ModelEntry, ModelInfo, Request, Response, TrainStartOptions } from './protocol.ts';

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

/** Requests answered at once, outside the queue: they only set flags that queued work reads. */
type Control = Extract<Request, { type: 'cancel' | 'train-pause' | 'train-resume' | 'train-reset' }>;

scope.onmessage = (event: MessageEvent<Request>) => {
  const request = event.data;
  if (request.type === 'cancel') {
    cancelled.add(request.id);
    return;
  }
  if (request.type === 'train-pause' || request.type === 'train-resume' || request.type === 'train-reset') {
    controlTraining(request);
    return;
  }
  queue = queue.then(() => handle(request));
};

async function handle(request: Exclude<Request, Control>): Promise<void> {
  const { id } = request;
  if (cancelled.delete(id)) {
    post({ type: 'cancelled', id });
    return;
  }
  try {
    switch (request.type) {
      case 'estimate': {
        const [files, memory] = await Promise.all([estimate(request.model), memoryFor(request.model)]);
        post({ type: 'estimate', id, files, memory });
        return;
      }
      case 'load':
        post({ type: 'loaded', id, info: await load(id, request.model, request.backend) });
        return;
      case 'trajectory': {
        if (!model) throw new Error('No model is loaded yet — pick one and load it first.');
        const lens = lenses.get(request.lens);
        if (!lens) throw new Error(`No lens named '${request.lens}' is loaded for ${model.name}.`);
        const began = performance.now();
        const ids = model.encode(request.text);
        const { topk, follow, changePerLayer, consecutiveKl, start, end } = request;
        const result = await model.trajectory(ids, lens, { topk, follow, changePerLayer, consecutiveKl, start, end });
        if (cancelled.delete(id)) {
          post({ type: 'cancelled', id });
          return;
        }
        post({ type: 'trajectory', id, result, ms: performance.now() - began, numTokens: ids.length });
        return;
      }
      case 'layer-transfer': {
        if (!model) throw new Error('No model is loaded yet — pick one and load it first.');
        const lens = lenses.get(request.lens);
        if (!lens) throw new Error(`No lens named '${request.lens}' is loaded for ${model.name}.`);
        const began = performance.now();
        const result = await model.layerTransfer(model.encode(request.text), lens, {
          onProgress: (loaded, total) => post({ type: 'progress', id, file: 'layers', loaded, total }),
          shouldStop: () => cancelled.has(id),
        });
        if (cancelled.delete(id) || !result) {
          post({ type: 'cancelled', id });
          return;
        }
        post({ type: 'layer-transfer', id, result, ms: performance.now() - began });
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
      case 'train-start':
        await startTraining(id, request.text, request.options);
        return;
      case 'train-use': {
        if (!info) throw new Error('Load a model before adding a lens.');
        const job = trainingRun(request.run);
        const step = job.run.step;
        if (step === 0) throw new Error('Train at least one step before using the lens.');
        let name = job.used.get(step);
        if (name === undefined) {
          name = uniqueLensName(`${request.name} (${step} step${step === 1 ? '' : 's'})`);
          lenses.set(name, job.run.snapshot());
          job.used.set(step, name);
          info = { ...info, lenses: [...lenses.keys()] };
        }
        post({ type: 'train-lens', id, name, info });
        return;
      }
      case 'train-files': {
        const files = Object.fromEntries(trainingRun(request.run).run.files());
        const buffers = new Set(Object.values(files).map((bytes) => bytes.buffer as ArrayBuffer));
        scope.postMessage({ type: 'train-files', id, files } satisfies Response, [...buffers]);
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

/**
 * The memory `entry` will need, from its config.json alone (a few hundred bytes). GPT-2 configs only so
 * far: another architecture's config does not parse as one, and its picker entry shows no estimate.
 */
async function memoryFor(entry: ModelEntry): Promise<MemoryEstimate | null> {
  try {
    const response = await fetch(new URL('config.json', entry.modelUrl));
    return response.ok ? memoryEstimate(parseGPT2Config(await response.json())) : null;
  } catch {
    return null;
  }
}

async function load(id: number, entry: ModelEntry, preference: 'auto' | 'webgpu' | 'wasm'): Promise<ModelInfo> {
  const start = performance.now();
  const onProgress = ({ file, loaded, total }: { file: string; loaded: number; total: number | undefined }) =>
    post({ type: 'progress', id, file, loaded, total });
  const cacheName = entry.cache ? undefined : null;
  const files = await loadModelFiles(new UrlSource(entry.modelUrl, { cacheName }), {
    tokenizer: tokenizerSource(entry),
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

  await endTraining((runId) => ({
    type: 'error',
    id: runId,
    error: { name: 'TrainingStopped', message: 'The model changed, so the training run stopped — start it again to train the new model’s lens.' },
  }))?.run.release();
  await model?.release();
  model = null;
  lenses.clear();
  loadedEntry = entry;
  if (unembeddingCache?.entry !== entry) unembeddingCache = null;
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
  // ORT prepares kernels and memory on a session's first run; pay that here, as part of loading,
  // so the reader's first heatmap is as quick as the ones after it.
  await model.trajectory([0, 0, 0, 0, 0, 0, 0, 0], lenses.get('logit')!, { topk: 10 });
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

/**
 * A hub model's own tokenizer.json (Pythia's) is cached with its weights; GPT-2's comes from this
 * site, which may update it, so it is fetched as the site's other files are.
 */
function tokenizerSource(entry: ModelEntry): UrlSource {
  return new UrlSource(entry.tokenizerUrl, { cacheName: entry.cache && entry.tokenizerUrl === entry.modelUrl ? undefined : null });
}

function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

// ---- Training the lens live (live-training.ts) --------------------------------------------------
//
// A run is a queue of small tasks: each does one graph run of the training and, unless the run is
// paused, finished or gone, queues the next one behind whatever requests arrived meanwhile — so a
// trajectory asked for while training waits for one graph run, not for the whole run.

interface TrainingJob {
  /** The train-start request's id, which its progress and its answer carry. */
  id: number;
  run: LiveTraining;
  paused: boolean;
  /** A task for this run is in the queue. */
  scheduled: boolean;
  finished: boolean;
  /** Lens names this run's translators were added under, by step. */
  used: Map<number, string>;
}

let training: TrainingJob | null = null;
let loadedEntry: ModelEntry | null = null;
/** The loaded model's final LayerNorm and unembedding, read again from its files when training first needs them. */
let unembeddingCache: { entry: ModelEntry; unembedding: Unembedding } | null = null;

async function startTraining(id: number, text: string, options: TrainStartOptions): Promise<void> {
  if (!model || !info || !loadedEntry) throw new Error('No model is loaded yet — pick one and load it first.');
  const init = lenses.get(options.init);
  if (!init) throw new Error(`No lens named '${options.init}' is loaded for ${model.name} to start training from.`);
  await endTraining((runId) => ({ type: 'cancelled', id: runId }))?.run.release();

  const current = model;
  const unembedding = await unembeddingFor(id, loadedEntry);
  const setup = {
    ort,
    modelName: current.name,
    baseModel: baseModelName(loadedEntry, current.name),
    unembedding,
    numLayers: current.config.numLayers,
    nPositions: current.config.nPositions,
    eosId: endOfTextId(current.tokenizer, current.config.vocabSize),
    tokenizer: current.tokenizer,
    residualStream: (ids: number[]) => current.residualStream(ids),
    init,
    text,
    options,
  };
  let backend: Backend = info.backend;
  let run: LiveTraining;
  try {
    run = await LiveTraining.create({ ...setup, sessionOptions: { executionProviders: [backend] } });
  } catch (e) {
    if (backend !== 'webgpu' || (e as Error).name === 'TrainingSetupError') throw e;
    backend = 'wasm'; // the train-step graph has ops WebGPU may lack; WASM runs them all
    run = await LiveTraining.create({ ...setup, sessionOptions: { executionProviders: ['wasm'] } });
  }
  const job: TrainingJob = { id, run, paused: false, scheduled: false, finished: false, used: new Map() };
  training = job;
  post({
    type: 'train-started',
    id,
    plan: {
      steps: run.steps,
      tokensPerStep: run.tokensPerStep,
      context: run.context,
      chunksPerStep: run.chunksPerStep,
      batchTokens: run.batchTokens,
      textTokens: run.textTokens,
      textChunks: run.textChunks,
      init: options.init,
      backend,
    },
  });
  scheduleTraining(job);
}

function controlTraining(request: Extract<Request, { type: 'train-pause' | 'train-resume' | 'train-reset' }>): void {
  const job = training?.id === request.id ? training : null;
  if (request.type === 'train-reset') {
    if (!job) {
      cancelled.add(request.id); // reset before its train-start was handled: answer that one `cancelled`
      return;
    }
    endTraining((runId) => ({ type: 'cancelled', id: runId }));
    queue = queue.then(() => job.run.release().catch(() => undefined));
    return;
  }
  if (!job) return;
  job.paused = request.type === 'train-pause';
  scheduleTraining(job);
}

/** Forgets the current run, answering its train-start with `reply` if it had not finished; the caller releases it. */
function endTraining(reply: (runId: number) => Response): TrainingJob | null {
  const job = training;
  if (!job) return null;
  training = null;
  if (!job.finished) post(reply(job.id));
  return job;
}

function scheduleTraining(job: TrainingJob): void {
  if (training !== job || job.paused || job.scheduled || job.finished) return;
  job.scheduled = true;
  // Through a macrotask: a WASM graph run can resolve without the Worker ever returning to its event
  // loop, and the messages that arrived meanwhile (a trajectory, a pause) must queue before the next piece.
  setTimeout(() => {
    queue = queue.then(() => trainingTask(job));
  }, 0);
}

async function trainingTask(job: TrainingJob): Promise<void> {
  job.scheduled = false;
  if (training !== job || job.paused || job.finished) return;
  try {
    const progress = await job.run.advance();
    if (training !== job) return; // reset meanwhile; the reset released it
    if (progress) post({ type: 'train-progress', id: job.id, progress });
    if (job.run.done) {
      job.finished = true;
      post({ type: 'train-done', id: job.id, info: { step: job.run.step, steps: job.run.steps, tokensPerSecond: job.run.tokensPerSecond, seconds: job.run.seconds } });
      await job.run.release(); // the translators stay, for "use" and "files"
      return;
    }
    scheduleTraining(job);
  } catch (e) {
    if (training !== job) return;
    training = null;
    post({ type: 'error', id: job.id, error: errorInfo(e) });
    await job.run.release().catch(() => undefined);
  }
}

function trainingRun(runId: number): TrainingJob {
  if (!training || training.id !== runId) throw new Error('That training run was reset or replaced — train again to use or download its lens.');
  return training;
}

async function unembeddingFor(id: number, entry: ModelEntry): Promise<Unembedding> {
  if (unembeddingCache?.entry === entry) return unembeddingCache.unembedding;
  const cacheName = entry.cache ? undefined : null;
  const files = await loadModelFiles(new UrlSource(entry.modelUrl, { cacheName }), {
    tokenizer: tokenizerSource(entry),
    onProgress: ({ file, loaded, total }) => post({ type: 'progress', id, file, loaded, total }),
  });
  const u = unembeddingOf(files.checkpoint);
  // Copies, so the rest of the checkpoint can be collected.
  const unembedding = { ...u, lnFWeight: u.lnFWeight.slice(), lnFBias: u.lnFBias.slice(), wte: u.wte.slice() };
  unembeddingCache = { entry, unembedding };
  return unembedding;
}

/** `base_model_name_or_path` for the lens files: the hub id for a hub model, else the folder's name. */
function baseModelName(entry: ModelEntry, fallback: string): string {
  return hubModelIdOfUrl(entry.modelUrl) ?? fallback;
}

function uniqueLensName(base: string): string {
  if (!lenses.has(base)) return base;
  for (let n = 2; ; n++) if (!lenses.has(`${base} #${n}`)) return `${base} #${n}`;
}
