/**
 * Train the loaded model's tuned lens in the page: the paper's recipe (SGD with Nesterov momentum,
 * linear decay, clipping) on the bundled sample or the reader's own text, run in the page's engine
 * Worker a graph run at a time, so the page and the other figures stay usable. The per-layer loss
 * curves grow as the steps arrive; once paused or done, the lens can be added to every lens menu on
 * the page or downloaded as tuned-lens files.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { CancelledError, engine, type TrainingRun } from '../../src/engine/client.ts';
import { TRAIN_LIMITS, type TrainPlan, type TrainProgress } from '../../src/engine/protocol.ts';
import { EngineStatus } from '../shared/EngineStatus.tsx';
import { useEngine, useUrlState, useWidth } from '../shared/island-hooks.ts';
import { LensDownloads } from './LensDownloads.tsx';
import { TrainView } from './TrainView.tsx';
import { fmtDuration, fmtInt, fmtNats, initLabel, meanKlFell, stepReads } from './train-format.ts';
import { emptyLossPlot, LOSS_CURVES_EXPLAINED, lossCurvePlot, lossPoints } from './train-plot.ts';
import { DEFAULT_TRAIN_STATE, decodeTrainState, encodeTrainState, fetchSample, SAMPLE, type TrainState } from './train-state.ts';

export interface TrainProps extends Partial<TrainState> {
  /** The figure's anchor and URL key; unique on the page. */
  id: string;
  caption?: string;
  /** A run made when the site was built (TrainFigure.astro), drawn faintly until the reader starts one. */
  example?: ExampleRun;
}

export interface ExampleRun {
  /** The model it was trained on: shown only while that model is loaded. */
  model: string;
  steps: number;
  tokensPerStep: number;
  history: TrainProgress[];
}

/** The lens menus' name for the result, followed by its step count. */
export const TRAINED_LENS_NAME = 'trained in page';

type Phase = 'idle' | 'starting' | 'running' | 'paused' | 'done' | 'error';

export default function Train(props: TrainProps) {
  const { id } = props;
  const defaults: TrainState = { ...DEFAULT_TRAIN_STATE, ...stripUndefined(props) };
  const [state, setState] = useState<TrainState>(() => decodeTrainState(new URLSearchParams(location.search).get(id), defaults));
  const [ownText, setOwnText] = useState('');
  const [sampleBytes, setSampleBytes] = useState<number | null>(null);
  const [phase, setPhase] = useState<Phase>('idle');
  const [plan, setPlan] = useState<TrainPlan | null>(null);
  /** The progress of every step of the run so far. */
  const [log, setLog] = useState<TrainProgress[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [files, setFiles] = useState<{ step: number; files: Record<string, Uint8Array> } | null>(null);
  const run = useRef<TrainingRun | null>(null);
  const frame = useRef<HTMLDivElement>(null);

  const { engineState, info } = useEngine();
  const width = useWidth(frame, 600);
  useEffect(() => {
    fetchSample().then(
      (text) => setSampleBytes(new TextEncoder().encode(text).byteLength),
      () => undefined, // said again, with the reason, if the reader trains on it
    );
    return () => run.current?.reset();
  }, []);

  const initChoices = info?.lenses ?? ['logit'];
  const init = initChoices.includes(state.init) ? state.init : 'logit';
  const context = info ? Math.min(TRAIN_LIMITS.context, info.nPositions) : null;
  const numLayers = log[0]?.lossPerLayer.length ?? info?.numLayers ?? 0;
  const live = phase === 'starting' || phase === 'running' || phase === 'paused';
  const last = log.at(-1) ?? null;
  const first = log[0] ?? null;

  // The settings live in the URL; the reader's own text never does.
  useUrlState(id, encodeTrainState(state), encodeTrainState(defaults));

  const example = props.example && phase === 'idle' && log.length === 0 && info?.name === props.example.model ? props.example : null;
  const points = useMemo(() => lossPoints(example ? example.history : log), [log, example]);
  const placeholder =
    phase === 'starting' ? 'Setting up the run…' : plan ? 'The first step is running…' : 'The loss curves grow here, one line per layer, once training starts.';
  const exampleNote = example
    ? `For example, the run made when this page was built: ${fmtInt(example.steps)} steps × ${fmtInt(example.tokensPerStep)} tokens of the sample. Press Start to train your own.`
    : null;
  // Drawn once the model is ready: the drawing is what hands the figure over from its static version (LiveFigure.astro).
  const ready = info !== null;
  const drawing = useMemo(() => {
    if (!ready) return null;
    const steps = example?.steps ?? plan?.steps ?? state.steps;
    const plot =
      points.length > 0 ? lossCurvePlot(points, { numLayers, steps, width, yScale: state.yScale }) : emptyLossPlot({ steps, width, message: placeholder });
    plot.setAttribute('aria-hidden', 'true'); // the box's label says what it shows; the table below has the numbers
    return plot;
  }, [points, plan, width, state.yScale, state.steps, numLayers, placeholder, ready, example]);

  // Paused or done: the lens as it is now, ready to download.
  useEffect(() => {
    const current = run.current;
    if (!current || (phase !== 'paused' && phase !== 'done') || !last) return;
    let stale = false;
    current.files().then(
      (f) => !stale && setFiles({ step: last.step, files: f }),
      (e: Error) => !stale && setError(e.message),
    );
    return () => {
      stale = true;
    };
  }, [phase, last?.step]);

  const update = (patch: Partial<TrainState>) => setState((s) => ({ ...s, ...patch }));

  const start = async () => {
    run.current?.reset();
    run.current = null;
    setError(null);
    setLog([]);
    setPlan(null);
    setAdded(null);
    setFiles(null);
    setPhase('starting');
    let text: string;
    try {
      text = state.source === 'sample' ? await fetchSample() : ownText;
    } catch (e) {
      setError((e as Error).message);
      setPhase('error');
      return;
    }
    const current = engine().train(
      text,
      { steps: state.steps, tokensPerStep: state.tokensPerStep, lr: state.lr, init },
      {
        onStarted: (p) => {
          if (run.current !== current) return;
          setPlan(p);
          setPhase((ph) => (ph === 'starting' ? 'running' : ph));
        },
        onProgress: (p) => run.current === current && setLog((h) => [...h, p]),
      },
    );
    run.current = current;
    current.done.then(
      () => run.current === current && setPhase('done'),
      (e: Error) => {
        if (run.current !== current || e instanceof CancelledError) return;
        run.current = null;
        setError(e.message);
        setPhase('error');
      },
    );
  };

  const togglePause = () => {
    const current = run.current;
    if (!current) return;
    if (phase === 'running') {
      current.pause();
      setPhase('paused');
    } else if (phase === 'paused') {
      current.resume();
      setFiles(null);
      setPhase('running');
    }
  };

  const reset = () => {
    run.current?.reset();
    run.current = null;
    setPhase('idle');
    setLog([]);
    setPlan(null);
    setError(null);
    setAdded(null);
    setFiles(null);
  };

  const useLens = async () => {
    const current = run.current;
    if (!current) return;
    setAdding(true);
    try {
      setAdded(await current.useLens(TRAINED_LENS_NAME));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setAdding(false);
    }
  };

  const sourceWords = state.source === 'sample' ? 'the bundled sample' : 'your text';
  const canUse = (phase === 'paused' || phase === 'done') && (last?.step ?? 0) > 0;

  return (
    <TrainView
      id={id}
      frameRef={frame}
      caption={
        <>
          {props.caption ?? 'A tuned lens trained live, in your browser.'} {LOSS_CURVES_EXPLAINED}
          {plan && info && (
            <span class="heatmap-timing">
              {' '}
              {stepReads(plan)}, on {plan.backend === 'webgpu' ? 'WebGPU' : `WASM (${info.threads} thread${info.threads === 1 ? '' : 's'})`} in the page’s
              engine Worker.
            </span>
          )}
        </>
      }
      source={{
        id,
        source: state.source,
        sampleBytes,
        sampleHref: new URL(SAMPLE.path, new URL(import.meta.env.BASE_URL, location.href)).href,
        ownText,
        context,
        disabled: live,
        onSource: (source) => update({ source }),
        onOwnText: setOwnText,
      }}
      settings={{ settings: state, init, initChoices, context, disabled: live, onChange: update }}
      status={
        <>
          <div class="train-buttons">
            <button type="button" class="train-button train-primary" onClick={start} disabled={!info || live}>
              {phase === 'done' ? 'Train again' : 'Start'}
            </button>
            <button
              type="button"
              class="train-button"
              aria-pressed={phase === 'paused'}
              onClick={togglePause}
              disabled={phase !== 'running' && phase !== 'paused'}
            >
              Pause
            </button>
            <button type="button" class="train-button" onClick={reset} disabled={phase === 'idle'} aria-label="Reset: stop and clear the run">
              Reset
            </button>
          </div>

          <EngineStatus state={engineState} />
          <p class="train-status" role="status">
            {statusText(phase, plan, first, last, sourceWords, initLabel(init), state)}
          </p>
          {error && (
            <p class="heatmap-error" role="alert">
              {error}
            </p>
          )}

          {plan && (
            <dl class="train-readout" aria-label="Training progress">
              <div>
                <dt>step</dt>
                <dd>
                  {last?.step ?? 0} of {plan.steps}
                </dd>
              </div>
              <div>
                <dt>tokens/s</dt>
                <dd>{last ? fmtInt(last.tokensPerSecond) : '—'}</dd>
              </div>
              <div>
                <dt>mean KL</dt>
                <dd>{last ? `${fmtNats(last.meanLoss)} nats` : '—'}</dd>
              </div>
              <div>
                <dt>learning rate</dt>
                <dd>{last ? last.learningRate.toPrecision(3) : '—'}</dd>
              </div>
              <div>
                <dt>‖g‖</dt>
                <dd>{last ? last.gradNorm.toFixed(2) : '—'}</dd>
              </div>
              <div>
                <dt>time left</dt>
                <dd>{last && phase === 'running' ? `about ${fmtDuration(last.etaSeconds)}` : '—'}</dd>
              </div>
            </dl>
          )}
        </>
      }
      legend={
        (plan || example) && numLayers > 0
          ? { numLayers, logScale: { checked: state.yScale === 'log', onChange: (log) => update({ yScale: log ? 'log' : 'linear' }) } }
          : null
      }
      plot={{
        drawing,
        example: example !== null,
        note: exampleNote,
        label: last
          ? `Training loss by layer: after step ${last.step}, mean KL ${fmtNats(last.meanLoss)} nats`
          : `Training loss by layer: ${exampleNote ?? placeholder}`,
      }}
      table={log.length > 0 ? { history: log, numLayers } : null}
      after={
        canUse && (
          <div class="train-result">
            <div class="train-use">
              <button type="button" class="train-button train-primary" onClick={useLens} disabled={adding}>
                Use this lens
              </button>
              {added && <span role="status">Added to every lens menu on this page as “{added}”.</span>}
            </div>
            {files && <LensDownloads id={`${id}-downloads`} files={files.files} step={files.step} />}
          </div>
        )
      }
    />
  );
}

function statusText(
  phase: Phase,
  plan: TrainPlan | null,
  first: TrainProgress | null,
  last: TrainProgress | null,
  source: string,
  init: string,
  state: TrainState,
): string {
  const fell = first && last ? meanKlFell(first, last) : '';
  switch (phase) {
    case 'idle':
      return `Ready: ${fmtInt(state.steps)} steps of ${fmtInt(state.tokensPerStep)} tokens from ${source}, starting from ${init}.`;
    case 'starting':
      return 'Setting up: tokenising the text and building the training graph…';
    case 'running':
      return `Training on ${source}, starting from ${init}. The work runs in a Worker: the page and its other figures stay usable.`;
    case 'paused':
      return `Paused after step ${last?.step ?? 0} of ${plan?.steps ?? state.steps}. Press Pause again to go on, or use the lens as it is now.${fell}`;
    case 'done':
      return last
        ? `Done: ${fmtInt(last.step)} steps in ${fmtDuration(last.elapsedSeconds)}, ${fmtInt(last.tokensPerSecond)} tokens per second.${fell}`
        : 'Done.';
    case 'error':
      return last ? `Stopped after step ${last.step}.` : 'Training did not start.';
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
