/// <reference lib="webworker" />
/**
 * The page's one engine Worker: an adapter over the library's LensSession (src/lens/session.ts) that
 * brings its bytes (URLs, Cache Storage) and its runtime (onnxruntime-web), so every island on a page
 * shares one loaded model and the page stays responsive while it runs. Everything it holds is in
 * `state`; requests and their answers are paired in protocol.ts's `Exchanges`.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { FilesSource } from '../lens/io/files-source.ts';
import { UrlSource } from '../lens/io/url-source.ts';
import { checkLensFitsModel, TunedLens } from '../lens/lens/tuned-lens.ts';
import { parseModelConfig } from '../lens/model/architectures.ts';
import { memoryEstimate, type MemoryEstimate } from '../lens/model/memory-estimate.ts';
import { loadModelFiles } from '../lens/model/model-files.ts';
import { LensSession } from '../lens/session.ts';
import { trainOnText } from '../lens/train/text-training.ts';
import type { TrainingLoop } from '../lens/train/training-loop.ts';
import { chooseBackend, wasmThreads } from './backend.ts';
import type { Backend, Control, ErrorInfo, Exchanges, ModelEntry, ModelInfo, Request, RequestOf, RequestType, Response } from './protocol.ts';

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
const post = (message: Response, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

/** A lens being trained: the loop, and how the Worker is driving it. */
interface TrainingJob {
  /** The train-start request, whose id its progress and its answer carry. */
  request: Pick<RequestOf<'train-start'>, 'type' | 'id'>;
  loop: TrainingLoop;
  paused: boolean;
  /** A task for this run is in the queue. */
  scheduled: boolean;
  finished: boolean;
  /** Lens names this run's translators were added under, by step. */
  used: Map<number, string>;
}

/** Everything the Worker holds. */
const state = {
  /** The loaded model with its lenses, and what the page was told about it. */
  session: null as LensSession | null,
  info: null as ModelInfo | null,
  /** The lens being trained, if any (one run at a time). */
  training: null as TrainingJob | null,
  /** Runs are serial (one session cannot run twice at once) … */
  queue: Promise.resolve(),
  /** … and a cancelled run that has not started is dropped. */
  cancelled: new Set<number>(),
};

scope.onmessage = (event: MessageEvent<Request>) => {
  const request = event.data;
  if (isControl(request)) control(request);
  else state.queue = state.queue.then(() => handle(request));
};

function isControl(request: Request): request is Control {
  return request.type === 'cancel' || request.type === 'train-pause' || request.type === 'train-resume' || request.type === 'train-reset';
}

/** Answers request `request` with the body its type is paired with. */
function answer<K extends RequestType>(request: Pick<RequestOf<K>, 'type' | 'id'>, body: Exchanges[K]['response'], transfer: Transferable[] = []): void {
  post({ type: 'answer', id: request.id, body }, transfer);
}

function loaded(): { session: LensSession; info: ModelInfo } {
  const { session, info } = state;
  if (!session || !info) throw new Error('No model is loaded yet — pick one and load it first.');
  return { session, info };
}

/** The model's lenses changed: the page's info says so. */
function lensesChanged(session: LensSession, info: ModelInfo): ModelInfo {
  state.info = { ...info, lenses: [...session.lenses.keys()] };
  return state.info;
}

async function handle(request: Exclude<Request, Control>): Promise<void> {
  const { id } = request;
  if (state.cancelled.delete(id)) {
    post({ type: 'cancelled', id });
    return;
  }
  try {
    switch (request.type) {
      case 'estimate': {
        const [files, memory] = await Promise.all([estimate(request.model), memoryFor(request.model)]);
        answer(request, { files, memory });
        return;
      }
      case 'load':
        answer(request, await load(id, request.model, request.backend));
        return;
      case 'trajectory': {
        const { session } = loaded();
        const began = performance.now();
        const ids = session.model.encode(request.text);
        const { topk, follow, changePerLayer, consecutiveKl, start, end, sublayers } = request;
        const result = await session.trajectory(ids, request.lens, { topk, follow, changePerLayer, consecutiveKl, start, end, sublayers });
        if (state.cancelled.delete(id)) {
          post({ type: 'cancelled', id });
          return;
        }
        answer(request, { result, ms: performance.now() - began, numTokens: ids.length });
        return;
      }
      case 'layer-transfer': {
        const { session } = loaded();
        const began = performance.now();
        const result = await session.model.layerTransfer(session.model.encode(request.text), session.lens(request.lens), {
          onProgress: (done, total) => post({ type: 'progress', id, file: 'layers', loaded: done, total }),
          shouldStop: () => state.cancelled.has(id),
        });
        if (state.cancelled.delete(id) || !result) {
          post({ type: 'cancelled', id });
          return;
        }
        answer(request, { result, ms: performance.now() - began });
        return;
      }
      case 'translator-stats': {
        const stats = loaded().session.translatorStats(request.lens, (done, total) => post({ type: 'progress', id, file: 'translators', loaded: done, total }));
        answer(request, stats);
        return;
      }
      case 'add-lens': {
        const { session, info } = loaded();
        const lens = await TunedLens.load(new FilesSource(request.name, new Map(Object.entries(request.files))), {
          onNotice: (message) => console.info(message),
        });
        session.addLens(request.name, lens);
        answer(request, lensesChanged(session, info));
        return;
      }
      case 'train-start':
        await startTraining(request);
        return;
      case 'train-use': {
        const { session, info } = loaded();
        const job = trainingRun(request.run);
        const step = job.loop.step;
        if (step === 0) throw new Error('Train at least one step before using the lens.');
        let name = job.used.get(step);
        if (name === undefined) {
          name = session.uniqueLensName(`${request.name} (${step} step${step === 1 ? '' : 's'})`);
          session.addLens(name, job.loop.snapshot());
          job.used.set(step, name);
        }
        answer(request, { name, info: lensesChanged(session, info) });
        return;
      }
      case 'train-files': {
        const files = Object.fromEntries(trainingRun(request.run).loop.files());
        answer(request, files, [...new Set(Object.values(files).map((bytes) => bytes.buffer as ArrayBuffer))]);
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
 * The memory `entry` will need, from its config.json alone (a few hundred bytes), read by its
 * architecture; a config no architecture reads gets no estimate (loading it will say why).
 */
async function memoryFor(entry: ModelEntry): Promise<MemoryEstimate | null> {
  try {
    const response = await fetch(new URL('config.json', entry.modelUrl));
    return response.ok ? memoryEstimate(parseModelConfig(await response.json())) : null;
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
  }))?.loop.release();
  await state.session?.release();
  state.session = null;
  state.info = null;
  let choice = await chooseBackend(preference);
  let session: LensSession;
  try {
    session = await LensSession.create(ort, files, { executionProviders: [choice.backend] });
  } catch (e) {
    if (choice.backend !== 'webgpu') throw e;
    choice = { backend: 'wasm', reason: `WebGPU could not run the model (${errorInfo(e).message}), so it runs on WASM` };
    session = await LensSession.create(ort, files, { executionProviders: ['wasm'] });
  }
  state.session = session;
  if (tuned) session.addLens('tuned', tuned);
  // ORT prepares kernels and memory on a session's first run; pay that here, as part of loading,
  // so the reader's first heatmap is as quick as the ones after it.
  await session.trajectory([0, 0, 0, 0, 0, 0, 0, 0], 'logit', { topk: 10 });
  state.info = {
    key: entry.key,
    name: session.name,
    numLayers: session.numLayers,
    dModel: session.dModel,
    vocabSize: session.vocabSize,
    nPositions: session.config.nPositions,
    backend: choice.backend,
    backendReason: choice.reason,
    threads: choice.backend === 'wasm' ? (ort.env.wasm.numThreads ?? 1) : 0,
    lenses: [...session.lenses.keys()],
    lensError,
    loadMs: performance.now() - start,
  };
  return state.info;
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

// ---- Training the lens live (the library's one training loop, a graph run at a time) -----------
//
// A run is a queue of small tasks: each does one graph run of the training and, unless the run is
// paused, finished or gone, queues the next one behind whatever requests arrived meanwhile — so a
// trajectory asked for while training waits for one graph run, not for the whole run.

async function startTraining(request: RequestOf<'train-start'>): Promise<void> {
  const { id, text, options } = request;
  const { session, info } = loaded();
  await endTraining((runId) => ({ type: 'cancelled', id: runId }))?.loop.release();

  let backend: Backend = info.backend;
  let started: Awaited<ReturnType<typeof trainOnText>>;
  try {
    started = await trainOnText(session, text, options, { executionProviders: [backend] });
  } catch (e) {
    if (backend !== 'webgpu' || (e as Error).name === 'TrainingSetupError') throw e;
    backend = 'wasm'; // the train-step graph has ops WebGPU may lack; WASM runs them all
    started = await trainOnText(session, text, options, { executionProviders: ['wasm'] });
  }
  const job: TrainingJob = { request: { type: request.type, id }, loop: started.loop, paused: false, scheduled: false, finished: false, used: new Map() };
  state.training = job;
  post({ type: 'train-started', id, plan: { ...started.plan, backend } });
  scheduleTraining(job);
}

function control(request: Control): void {
  if (request.type === 'cancel') {
    state.cancelled.add(request.id);
    return;
  }
  const job = state.training?.request.id === request.id ? state.training : null;
  if (request.type === 'train-reset') {
    if (!job) {
      state.cancelled.add(request.id); // reset before its train-start was handled: answer that one `cancelled`
      return;
    }
    endTraining((runId) => ({ type: 'cancelled', id: runId }));
    state.queue = state.queue.then(() => job.loop.release().catch(() => undefined));
    return;
  }
  if (!job) return;
  job.paused = request.type === 'train-pause';
  scheduleTraining(job);
}

/** Forgets the current run, answering its train-start with `reply` if it had not finished; the caller releases it. */
function endTraining(reply: (runId: number) => Response): TrainingJob | null {
  const job = state.training;
  if (!job) return null;
  state.training = null;
  if (!job.finished) post(reply(job.request.id));
  return job;
}

function scheduleTraining(job: TrainingJob): void {
  if (state.training !== job || job.paused || job.scheduled || job.finished) return;
  job.scheduled = true;
  // Through a macrotask: a WASM graph run can resolve without the Worker ever returning to its event
  // loop, and the messages that arrived meanwhile (a trajectory, a pause) must queue before the next piece.
  setTimeout(() => {
    state.queue = state.queue.then(() => trainingTask(job));
  }, 0);
}

async function trainingTask(job: TrainingJob): Promise<void> {
  job.scheduled = false;
  if (state.training !== job || job.paused || job.finished) return;
  const { loop } = job;
  try {
    const progress = await loop.advance();
    if (state.training !== job) return; // reset meanwhile; the reset released it
    if (progress) post({ type: 'train-progress', id: job.request.id, progress });
    if (loop.done) {
      job.finished = true;
      answer(job.request, { step: loop.step, steps: loop.steps, tokensPerSecond: loop.tokensPerSecond, seconds: loop.seconds });
      await loop.release(); // the translators stay, for "use" and "files"
      return;
    }
    scheduleTraining(job);
  } catch (e) {
    if (state.training !== job) return;
    state.training = null;
    post({ type: 'error', id: job.request.id, error: errorInfo(e) });
    await loop.release().catch(() => undefined);
  }
}

function trainingRun(runId: number): TrainingJob {
  if (!state.training || state.training.request.id !== runId)
    throw new Error('That training run was reset or replaced — train again to use or download its lens.');
  return state.training;
}
