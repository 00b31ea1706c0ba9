/**
 * The seed notebook's `plot_lens`, live: type a prompt and watch what each layer predicts. Every
 * setting is in the URL (see heatmap-state.ts); the model runs in the page's engine Worker.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { CancelledError, engine } from '../../src/engine/client.ts';
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { EngineStatus } from '../shared/EngineStatus.tsx';
import { useEngine, useUrlState, useWidth } from '../shared/island-hooks.ts';
import { CellGrid, type Cell } from './CellGrid.tsx';
import { CellReadout } from './CellReadout.tsx';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import { DEFAULT_STATE, decodeState, encodeState, shareUrl, shownQuantity, visibleRange, type HeatmapState } from './heatmap-state.ts';
import { FollowControls } from './FollowControls.tsx';
import { heatmapLayout, heatmapLegend, heatmapPlot, heatmapWantsWideFrame } from './heatmap-plot.ts';
import { InstrumentToggle, LensChoice, StatisticChoice, StrideChoice, TopkChoice } from './HeatmapSettings.tsx';
import { DepthStrip } from './DepthStrip.tsx';
import { lensLabel } from './heatmap-static.ts';
import { LensUpload } from './LensUpload.tsx';
import { hasQuantity, STATISTIC_SCALES, statisticRequest } from './statistic-scales.ts';
import './heatmap.css';

export interface HeatmapProps extends Partial<HeatmapState> {
  /** The figure's anchor and URL key; unique on the page. */
  id: string;
  caption?: string;
}

const DEBOUNCE_MS = 250;

export default function Heatmap(props: HeatmapProps) {
  const { id } = props;
  const defaults: HeatmapState = { ...DEFAULT_STATE, ...stripUndefined(props) };
  const [state, setState] = useState<HeatmapState>(() => decodeState(new URLSearchParams(location.search).get(id), defaults));
  /** The shown positions' trajectory (the Worker decodes only those) and the prompt's length. */
  const [result, setResult] = useState<{ trajectory: PredictionTrajectory; numTokens: number } | null>(null);
  /** The prompt last sent: moving the position sliders asks at once, typing waits for a pause. */
  const sentText = useRef<string | null>(null);
  const [runMs, setRunMs] = useState<number | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [active, setActive] = useState<Cell>({ row: 0, position: 0 });
  const [hover, setHover] = useState<Cell | null>(null);
  const [pinned, setPinned] = useState(false);
  const [copied, setCopied] = useState(false);
  const plotBox = useRef<HTMLDivElement>(null);
  const legendBox = useRef<HTMLDivElement>(null);
  const frame = useRef<HTMLDivElement>(null);

  const { engineState, info } = useEngine();
  const width = useWidth(frame);
  const lensAvailable = info?.lenses.includes(state.lens) ?? false;
  const lens = info && !lensAvailable ? 'logit' : state.lens;
  // A followed id from a link made on a model with a larger vocabulary is dropped, not sent.
  const follow = state.follow !== null && (!info || state.follow < info.vocabSize) ? state.follow : null;
  const { changePerLayer, consecutiveKl } = statisticRequest(state.statistic);

  // Recompute when the prompt, lens, top-k, shown positions or model change; a newer run cancels an
  // older queued one. The Worker reuses what it computed before, so only new columns cost anything.
  useEffect(() => {
    if (!info) return;
    let stale = false;
    const delay = sentText.current === state.text ? 0 : DEBOUNCE_MS;
    sentText.current = state.text;
    const timer = setTimeout(() => {
      setRunning(true);
      engine()
        .trajectory(
          {
            text: state.text,
            lens,
            topk: state.topk,
            follow: follow ?? undefined,
            changePerLayer,
            consecutiveKl,
            start: state.start,
            end: state.end ?? undefined,
          },
          id,
        )
        .then(({ trajectory, ms, numTokens }) => {
          if (stale) return;
          setResult({ trajectory, numTokens });
          setRunMs(ms);
          setError(null);
        })
        .catch((e: Error) => {
          if (stale || e instanceof CancelledError) return;
          setError(e.message);
        })
        .finally(() => !stale && setRunning(false));
    }, delay);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [state.text, lens, state.topk, follow, changePerLayer, consecutiveKl, state.start, state.end, info?.key, info?.lenses.join()]);

  useUrlState(id, encodeState(state), encodeState(defaults));

  const shown = useMemo(() => result?.trajectory.stride(state.stride) ?? null, [result, state.stride]);

  const layout = shown ? heatmapLayout(shown, width) : null;
  const quantity = shownQuantity({ ...state, follow });
  // Until the run that carries it is back (a followed token, the change per layer), the old drawing stays.
  const ready = shown !== null && hasQuantity(shown, quantity);
  useEffect(() => {
    if (!shown || !ready || !layout || !info || !plotBox.current || !legendBox.current) return;
    plotBox.current.replaceChildren(heatmapPlot(shown, quantity, info.vocabSize, layout));
    legendBox.current.replaceChildren(heatmapLegend(shown, quantity, info.vocabSize));
    plotBox.current.firstElementChild?.setAttribute('aria-hidden', 'true');
  }, [shown, quantity, ready, width, info?.vocabSize]);

  // Keep the active cell inside the grid when its shape changes.
  const rows = shown?.rows.length ?? 0;
  const cols = shown?.numPositions ?? 0;
  const activeCell = { row: Math.min(active.row, Math.max(0, rows - 1)), position: Math.min(active.position, Math.max(0, cols - 1)) };
  const readoutCell = pinned ? activeCell : (hover ?? activeCell);

  const update = (patch: Partial<HeatmapState>) => setState((s) => ({ ...s, ...patch }));
  const T = result?.numTokens ?? 0;
  const [from, to] = visibleRange(state, T);
  const stat = STATISTIC_SCALES[quantity];

  const copyLink = async () => {
    const url = shareUrl(id, state, location);
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
      setTimeout(() => setCopied(false), 1600);
    } catch {
      window.prompt('Copy this link:', url);
    }
  };

  return (
    <figure class={shown && heatmapWantsWideFrame(shown.numPositions) ? 'heatmap lens-figure-wide' : 'heatmap'} id={id} aria-labelledby={`${id}-caption`}>
      <div class="heatmap-controls">
        <label class="heatmap-prompt">
          <span>Prompt</span>
          <textarea
            rows={2}
            value={state.text}
            spellcheck={false}
            onInput={(e) => update({ text: (e.target as HTMLTextAreaElement).value })}
            aria-describedby={error ? `${id}-error` : undefined}
          />
        </label>
        <div class="heatmap-settings">
          <LensChoice value={lens} lenses={info?.lenses ?? ['tuned', 'logit']} onChange={(lens) => update({ lens })} />
          <StatisticChoice value={state.statistic} onChange={(statistic) => update({ statistic })} />
          <StrideChoice value={state.stride} onChange={(stride) => update({ stride })} />
          <TopkChoice value={state.topk} onChange={(topk) => update({ topk })} />
          <InstrumentToggle label="Prediction depth" checked={state.depth} onChange={(depth) => update({ depth })} />
        </div>
        <div class="heatmap-range">
          <label>
            <span>
              Start position <output>{state.start}</output>
            </span>
            <input
              type="range"
              min={-Math.max(10, T)}
              max={0}
              value={Math.min(0, state.start)}
              onInput={(e) => update({ start: Number((e.target as HTMLInputElement).value) })}
              aria-valuetext={state.start === 0 ? 'from the first token' : `the last ${-state.start} tokens`}
            />
          </label>
          <label>
            <span>
              End position <output>{state.end === null ? 'end' : state.end}</output>
            </span>
            <input
              type="range"
              min={1}
              max={Math.max(1, T)}
              value={state.end === null ? Math.max(1, T) : visibleRange(state, T)[1]}
              onInput={(e) => {
                const value = Number((e.target as HTMLInputElement).value);
                update({ end: value >= T ? null : value });
              }}
              aria-valuetext={state.end === null ? 'to the last token' : `up to token ${state.end}`}
            />
          </label>
          <span class="heatmap-range-note">{T > 0 ? `showing tokens ${from + 1}–${to} of ${T}` : ''}</span>
        </div>
      </div>

      <EngineStatus state={engineState} />
      {info?.lensError && state.lens === 'tuned' && (
        <p class="heatmap-note" role="status">
          No tuned lens for this model ({info.lensError}) — showing the logit lens.
        </p>
      )}
      {error && (
        <p class="heatmap-error" role="alert" id={`${id}-error`}>
          {error}
        </p>
      )}

      <div class={running ? 'heatmap-frame is-running' : 'heatmap-frame'} ref={frame} aria-busy={running}>
        {shown && layout && (
          <>
            {follow !== null && shown.followed && (
              <FollowControls
                token={shown.followed.token}
                as={state.followAs}
                onAs={(followAs) => update({ followAs })}
                onClear={() => update({ follow: null })}
              />
            )}
            <div class="heatmap-legend" ref={legendBox} />
            <div class="heatmap-scroll" tabIndex={-1}>
              <div class="heatmap-canvas" style={{ width: `${layout.width}px`, height: `${layout.height}px` }}>
                <div ref={plotBox} />
                <CellGrid
                  trajectory={shown}
                  statistic={quantity}
                  layout={layout}
                  active={activeCell}
                  label={`${lens === 'tuned' ? 'Tuned' : lens === 'logit' ? 'Logit' : lens} lens predictions by layer and token, coloured by ${stat.label.toLowerCase()}`}
                  onActive={setActive}
                  onHover={setHover}
                  onTogglePin={() => setPinned((p) => !p)}
                  onUnpin={() => setPinned(false)}
                />
              </div>
              {state.depth && info && (
                <DepthStrip trajectory={shown} numLayers={info.numLayers} layout={layout} lensLabel={lensLabel(lens)} frameWidth={width} />
              )}
            </div>
            <CellReadout
              trajectory={shown}
              row={readoutCell.row}
              position={readoutCell.position}
              pinned={pinned}
              onClose={() => setPinned(false)}
              onFollow={(id) => update({ follow: id })}
            />
          </>
        )}
        {!shown && !error && engineState.status !== 'error' && <p class="heatmap-placeholder">The heatmap appears here once the model has run.</p>}
      </div>

      <figcaption id={`${id}-caption`}>
        <a class="heatmap-anchor" href={`#${id}`} aria-label="Link to this figure">
          #
        </a>{' '}
        {props.caption ?? 'What each layer predicts for the next token.'} Cells show the lens’s top-1 prediction; colour is {stat.description}
        {follow !== null && shown?.followed ? ` “${formatToken(shown.followed.token, { maxLength: 24 })}”` : ''} ({stat.unit}).
        {runMs !== null && info && (
          <span class="heatmap-timing">
            {' '}
            Computed in {Math.round(runMs)} ms on {info.backend === 'webgpu' ? 'WebGPU' : `WASM (${info.threads} thread${info.threads === 1 ? '' : 's'})`}.
          </span>
        )}{' '}
        <button type="button" class="heatmap-share" onClick={copyLink}>
          {copied ? 'Link copied' : 'Copy link to this view'}
        </button>
      </figcaption>
      <LensUpload />
    </figure>
  );
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
