/**
 * The typed client every island uses to reach the page's one engine Worker. Islands never see ORT,
 * sessions or buffers: they call `engine().trajectory(...)` and get a promise.
 */
import { PredictionTrajectory } from '../lens/trajectory/prediction-trajectory.ts';
import { modelByKey } from './catalog.ts';
import type {
  BackendPreference,
  Control,
  ErrorInfo,
  Exchanges,
  FileSize,
  MemoryEstimate,
  ModelEntry,
  ModelInfo,
  RequestOf,
  RequestType,
  Response,
  TrainPlan,
  TrainProgress,
  TrainStartOptions,
  TrainSummary,
  TranslatorStats,
  LayerTransfer,
  TrajectoryRequest,
} from './protocol.ts';

export type { TrajectoryRequest };

export type EngineState =
  | { status: 'idle'; model: ModelEntry }
  | { status: 'loading'; model: ModelEntry; loaded: number; total: number | undefined; file: string }
  | { status: 'ready'; model: ModelEntry; info: ModelInfo }
  | { status: 'error'; model: ModelEntry; error: ErrorInfo };

export class CancelledError extends Error {
  override name = 'CancelledError';
}

/** An error the worker reported, with its original name (PromptError, LensFormatError, …). */
export class EngineError extends Error {
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = info.name;
  }
}

export interface TrainEvents {
  /** The run is set up: the text tokenised, the train-step graph built. */
  onStarted?(plan: TrainPlan): void;
  /** After every optimiser step. */
  onProgress?(progress: TrainProgress): void;
}

/** A lens being trained in the engine Worker (see `EngineClient.train`). */
export interface TrainingRun {
  readonly id: number;
  /** Resolves when every step is done; rejects with CancelledError when reset or replaced, or with the Worker's error. */
  readonly done: Promise<TrainSummary>;
  /** Stops after the graph run in progress; `resume` goes on exactly where it stopped. */
  pause(): void;
  resume(): void;
  /** Stops and forgets the run. */
  reset(): void;
  /**
   * Adds the translators as they are now to the loaded model's lenses, named `<base> (<n> steps)`,
   * so that every lens menu on the page offers them; resolves to the name.
   */
  useLens(base: string): Promise<string>;
  /** The translators as they are now: config.json, params.pt and params.safetensors. */
  files(): Promise<Record<string, Uint8Array>>;
}

type TrainEvent = Response & { type: 'train-started' | 'train-progress' };

interface Handlers {
  onProgress?: (r: Response & { type: 'progress' }) => void;
  onTrain?: (r: TrainEvent) => void;
}

interface Pending extends Handlers {
  /** Settles with the answer's body: `request` keeps the type `Exchanges` pairs with the request's. */
  resolve(body: Exchanges[RequestType]['response']): void;
  reject(error: Error): void;
}

export class EngineClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly latestByChannel = new Map<string, number>();
  private readonly listeners = new Set<(state: EngineState) => void>();
  private ready: Promise<ModelInfo> | null = null;
  state: EngineState;

  constructor(initialModel: ModelEntry) {
    this.state = { status: 'idle', model: initialModel };
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'tuned-lens-engine' });
    this.worker.onmessage = (event: MessageEvent<Response>) => this.receive(event.data);
    this.worker.onerror = (event) => {
      const error = new Error(`The engine stopped: ${event.message || 'the worker failed to start'}. Reload the page to retry.`);
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
      this.setState({ status: 'error', model: this.state.model, error: { name: 'Error', message: error.message } });
    };
  }

  subscribe(listener: (state: EngineState) => void): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sizes of the files `model` would download, asked of the server before anything is downloaded, and
   * the memory it will need (null when its config.json could not be read).
   */
  async estimate(model: ModelEntry): Promise<{ files: FileSize[]; memory: MemoryEstimate | null }> {
    return this.request({ type: 'estimate', id: this.nextId++, model });
  }

  load(model: ModelEntry, backend: BackendPreference = 'auto'): Promise<ModelInfo> {
    this.setState({ status: 'loading', model, loaded: 0, total: undefined, file: '' });
    const perFile = new Map<string, { loaded: number; total: number | undefined }>();
    const onProgress = (p: Response & { type: 'progress' }) => {
      perFile.set(p.file, { loaded: p.loaded, total: p.total });
      const all = [...perFile.values()];
      const total = all.every((f) => f.total !== undefined) ? all.reduce((s, f) => s + f.total!, 0) : undefined;
      this.setState({ status: 'loading', model, loaded: all.reduce((s, f) => s + f.loaded, 0), total, file: p.file });
    };
    this.ready = this.request({ type: 'load', id: this.nextId++, model, backend }, { onProgress }).then(
      (info) => {
        this.setState({ status: 'ready', model, info });
        return info;
      },
      (error: Error) => {
        this.setState({ status: 'error', model, error: { name: error.name, message: error.message } });
        throw error;
      },
    );
    return this.ready;
  }

  /** Resolves when a model is ready; starts loading the current one if nothing has started. */
  whenReady(): Promise<ModelInfo> {
    return this.ready ?? this.load(this.state.model, backendPreference());
  }

  /**
   * What `lens` reads for `text`. A newer request on the same `channel` (one per island) cancels an
   * older one that has not run yet; the older promise rejects with CancelledError.
   */
  async trajectory(request: TrajectoryRequest, channel?: string): Promise<{ trajectory: PredictionTrajectory; ms: number; numTokens: number }> {
    await this.whenReady();
    const id = this.nextId++;
    if (channel !== undefined) {
      const previous = this.latestByChannel.get(channel);
      if (previous !== undefined && this.pending.has(previous)) this.worker.postMessage({ type: 'cancel', id: previous } satisfies Control);
      this.latestByChannel.set(channel, id);
    }
    const { result, ms, numTokens } = await this.request({ type: 'trajectory', id, ...request });
    return { trajectory: PredictionTrajectory.from(result), ms, numTokens };
  }

  /**
   * Per translator of `lens` (a name from `info.lenses`): ‖A_ℓ‖_F, ‖b_ℓ‖ and the singular values of
   * I + A_ℓ, largest first. Seconds for GPT-2 (the Worker caches the answer); `onProgress` counts layers.
   */
  async translatorStats(lens: string, onProgress?: (done: number, total: number) => void): Promise<TranslatorStats[]> {
    await this.whenReady();
    return this.request({ type: 'translator-stats', id: this.nextId++, lens }, { onProgress: (p) => onProgress?.(p.loaded, p.total ?? p.loaded) });
  }

  /**
   * Layer transfer of `lens` over `text`: L head runs in the Worker (seconds for GPT-2), `onProgress`
   * after each. `cancel()` stops it before its next run; `done` then rejects with CancelledError.
   */
  layerTransfer(
    text: string,
    lens: string,
    onProgress?: (done: number, total: number) => void,
  ): { done: Promise<{ transfer: LayerTransfer; ms: number }>; cancel: () => void } {
    const id = this.nextId++;
    const done = this.whenReady()
      .then(() => this.request({ type: 'layer-transfer', id, text, lens }, { onProgress: (p) => onProgress?.(p.loaded, p.total ?? p.loaded) }))
      .then(({ result, ms }) => ({ transfer: result, ms }));
    return { done, cancel: () => this.worker.postMessage({ type: 'cancel', id } satisfies Control) };
  }

  /** Adds a lens from files the reader chose (config.json + params.pt or params.safetensors). */
  async addLens(name: string, files: Record<string, Blob>): Promise<ModelInfo> {
    await this.whenReady();
    const info = await this.request({ type: 'add-lens', id: this.nextId++, name, files });
    if (this.state.status === 'ready') this.setState({ ...this.state, info });
    return info;
  }

  /**
   * Trains the loaded model's tuned lens on `text` in the Worker, a graph run at a time, so the
   * page's other requests are served while it runs. Starting a run replaces any earlier one.
   */
  train(text: string, options: TrainStartOptions, events: TrainEvents = {}): TrainingRun {
    const id = this.nextId++;
    const control = (type: 'train-pause' | 'train-resume' | 'train-reset') => this.worker.postMessage({ type, id } satisfies Control);
    const onTrain = (event: TrainEvent) => {
      if (event.type === 'train-started') events.onStarted?.(event.plan);
      else events.onProgress?.(event.progress);
    };
    const done = this.whenReady().then(() => this.request({ type: 'train-start', id, text, options }, { onTrain }));
    return {
      id,
      done,
      pause: () => control('train-pause'),
      resume: () => control('train-resume'),
      reset: () => control('train-reset'),
      useLens: async (base: string) => {
        const { name, info } = await this.request({ type: 'train-use', id: this.nextId++, run: id, name: base });
        if (this.state.status === 'ready') this.setState({ ...this.state, info });
        return name;
      },
      files: () => this.request({ type: 'train-files', id: this.nextId++, run: id }),
    };
  }

  /** Posts `request`; resolves with the answer `Exchanges` pairs with its type. */
  private request<K extends RequestType>(request: RequestOf<K>, handlers: Handlers = {}): Promise<Exchanges[K]['response']> {
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject, ...handlers });
      this.worker.postMessage(request);
    });
  }

  private receive(response: Response): void {
    const pending = this.pending.get(response.id);
    if (!pending) return;
    if (response.type === 'progress') {
      pending.onProgress?.(response);
      return;
    }
    if (response.type === 'train-started' || response.type === 'train-progress') {
      pending.onTrain?.(response);
      return;
    }
    this.pending.delete(response.id);
    if (response.type === 'error') pending.reject(new EngineError(response.error));
    else if (response.type === 'cancelled') pending.reject(new CancelledError('superseded by a newer request'));
    else pending.resolve(response.body);
  }

  private setState(state: EngineState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}

let shared: EngineClient | null = null;

/** The page's engine: one Worker, created on first use, shared by every island. */
export function engine(): EngineClient {
  if (!shared) {
    const params = new URLSearchParams(globalThis.location?.search ?? '');
    const stored = globalThis.localStorage?.getItem('tuned-lens:model');
    shared = new EngineClient(modelByKey(params.get('model') ?? stored));
  }
  return shared;
}

export function backendPreference(): BackendPreference {
  const value = new URLSearchParams(globalThis.location?.search ?? '').get('backend');
  return value === 'wasm' || value === 'webgpu' ? value : 'auto';
}
