/**
 * The logit lens and the tuned lens on the same prompt, side by side (stacked on narrow screens), on
 * one colour scale. Hover, click or move with the arrow keys in either heatmap and the same cell is
 * highlighted in both, with one readout comparing what the two lenses read there. State lives in the
 * URL like the heatmap's (heatmap-state.ts; the `lens` field is unused here).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { CancelledError, engine } from '../../src/engine/client.ts';
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { EngineStatus } from '../shared/EngineStatus.tsx';
import { CellGrid, type Cell } from '../heatmap/CellGrid.tsx';
import { DEFAULT_STATE, decodeState, encodeState, shownQuantity, visibleRange, type HeatmapState } from '../heatmap/heatmap-state.ts';
import { FollowControls } from '../heatmap/FollowControls.tsx';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import { heatmapLegend, heatmapPlot } from '../heatmap/heatmap-plot.ts';
import { StatisticChoice, StrideChoice } from '../heatmap/HeatmapSettings.tsx';
import { hasQuantity, STATISTIC_SCALES, statisticRequest } from '../heatmap/statistic-scales.ts';
import { CopyLink } from '../curves/CopyLink.tsx';
import { useEngine, useUrlState, useWidth } from '../shared/island-hooks.ts';
import { compareLayout, sharedColorOptions, SIDE_BY_SIDE_MIN_WIDTH } from './compare-plot.ts';
import { CompareReadout, type LensColumn } from './CompareReadout.tsx';
import { meanDepthLabel } from '../heatmap/depth-strip.ts';
import '../heatmap/heatmap.css';
import '../curves/curves.css';
import './compare.css';

export interface CompareProps extends Partial<Omit<HeatmapState, 'lens'>> {
  /** The figure's anchor and URL key; unique on the page. */
  id: string;
  caption?: string;
}

type LensName = 'logit' | 'tuned';
const LENSES: { lens: LensName; label: string }[] = [
  { lens: 'logit', label: 'Logit lens' },
  { lens: 'tuned', label: 'Tuned lens' },
];
const DEBOUNCE_MS = 250;
const PANEL_GAP = 16;

export default function Compare(props: CompareProps) {
  const { id } = props;
  const defaults: HeatmapState = { ...DEFAULT_STATE, statistic: 'forwardKl', ...stripUndefined(props), lens: 'tuned' };
  const [state, setState] = useState<HeatmapState>(() => decodeState(new URLSearchParams(location.search).get(id), defaults));
  const { engineState, info } = useEngine();
  /** Each lens's trajectory at the shown positions (the Worker decodes only those) and the prompt's length. */
  const [result, setResult] = useState<{ lenses: Record<LensName, PredictionTrajectory | null>; numTokens: number }>({
    lenses: { logit: null, tuned: null },
    numTokens: 0,
  });
  /** The prompt last sent: moving the start slider asks at once, typing waits for a pause. */
  const sentText = useRef<string | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [active, setActive] = useState<Cell>({ row: 0, position: 0 });
  const [hover, setHover] = useState<Cell | null>(null);
  const [pinned, setPinned] = useState(false);
  const frame = useRef<HTMLDivElement>(null);
  const width = useWidth(frame);
  useUrlState(id, encodeState(state), encodeState(defaults));
  const legendBox = useRef<HTMLDivElement>(null);
  const plotBoxes = { logit: useRef<HTMLDivElement>(null), tuned: useRef<HTMLDivElement>(null) };
  const scrollers = { logit: useRef<HTMLDivElement>(null), tuned: useRef<HTMLDivElement>(null) };

  const hasTuned = info?.lenses.includes('tuned') ?? false;
  const { changePerLayer, consecutiveKl } = statisticRequest(state.statistic);
  // A followed id from a link made on a model with a larger vocabulary is dropped, not sent.
  const follow = state.follow !== null && (!info || state.follow < info.vocabSize) ? state.follow : null;
  const quantity = shownQuantity({ ...state, follow });

  // Both lenses, one after the other in the engine's queue; a newer prompt cancels older queued runs.
  useEffect(() => {
    if (!info) return;
    let stale = false;
    const delay = sentText.current === state.text ? 0 : DEBOUNCE_MS;
    sentText.current = state.text;
    const timer = setTimeout(() => {
      setRunning(true);
      const run = (lens: LensName) =>
        engine().trajectory(
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
          `${id}:${lens}`,
        );
      Promise.all([run('logit'), hasTuned ? run('tuned') : Promise.resolve(null)])
        .then(([logit, tuned]) => {
          if (stale) return;
          setResult({ lenses: { logit: logit.trajectory, tuned: tuned?.trajectory ?? null }, numTokens: logit.numTokens });
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
  }, [state.text, state.topk, follow, changePerLayer, consecutiveKl, state.start, state.end, info?.key, hasTuned]);

  const shown = useMemo(() => {
    const { logit, tuned } = result.lenses;
    return { logit: logit?.stride(state.stride) ?? null, tuned: tuned?.stride(state.stride) ?? null };
  }, [result, state.stride]);

  const panels = LENSES.filter(({ lens }) => shown[lens]);
  const sideBySide = panels.length === 2 && width >= SIDE_BY_SIDE_MIN_WIDTH;
  const panelWidth = sideBySide ? Math.floor((width - PANEL_GAP) / 2) : width;
  const first = shown.logit;
  const layout = first ? compareLayout(first, panelWidth) : null;

  useEffect(() => {
    if (!first || !layout || !info) return;
    const trajectories = panels.map(({ lens }) => shown[lens]!);
    if (!trajectories.every((t) => hasQuantity(t, quantity))) return; // the run that carries it is on its way
    const color = sharedColorOptions(trajectories, quantity, info.vocabSize);
    for (const { lens } of panels) {
      const box = plotBoxes[lens].current;
      if (!box) continue;
      box.replaceChildren(heatmapPlot(shown[lens]!, quantity, info.vocabSize, layout, color));
      box.firstElementChild?.setAttribute('aria-hidden', 'true');
    }
    legendBox.current?.replaceChildren(heatmapLegend(first, quantity, info.vocabSize, color));
  }, [shown, quantity, panelWidth, info?.vocabSize]);

  const rows = first?.rows.length ?? 0;
  const cols = first?.numPositions ?? 0;
  const clampCell = (c: Cell) => ({ row: Math.min(c.row, Math.max(0, rows - 1)), position: Math.min(c.position, Math.max(0, cols - 1)) });
  const activeCell = clampCell(active);
  // The one cell both heatmaps highlight: the pinned one, else the one under the pointer, else the keyboard's.
  const highlight = pinned ? activeCell : clampCell(hover ?? activeCell);

  const update = (patch: Partial<HeatmapState>) => setState((s) => ({ ...s, ...patch }));
  const T = result.numTokens;
  const [from, to] = visibleRange(state, T);
  const stat = STATISTIC_SCALES[quantity];

  // Scrolled sideways on a narrow screen, both heatmaps keep the same tokens in view.
  const syncScroll = (source: LensName) => {
    const left = scrollers[source].current?.scrollLeft ?? 0;
    for (const { lens } of LENSES) {
      const other = scrollers[lens].current;
      if (lens !== source && other && other.scrollLeft !== left) other.scrollLeft = left;
    }
  };

  const columns: LensColumn[] = LENSES.map(({ lens, label }) => ({ lens, label, trajectory: shown[lens] }));

  return (
    <figure class="heatmap compare lens-figure-wide" id={id} aria-labelledby={`${id}-caption`}>
      <div class="heatmap-controls">
        <label class="heatmap-prompt">
          <span>Prompt</span>
          <textarea rows={2} value={state.text} spellcheck={false} onInput={(e) => update({ text: (e.target as HTMLTextAreaElement).value })} />
        </label>
        <div class="heatmap-settings">
          <StatisticChoice value={state.statistic} onChange={(statistic) => update({ statistic })} />
          <StrideChoice value={state.stride} onChange={(stride) => update({ stride })} />
          <label class="compare-start">
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
          <span class="heatmap-range-note">{T > 0 ? `showing tokens ${from + 1}–${to} of ${T}` : ''}</span>
        </div>
      </div>

      <EngineStatus state={engineState} />
      {info && !hasTuned && (
        <p class="heatmap-note" role="status">
          No tuned lens for this model{info.lensError ? ` (${info.lensError})` : ''} — only the logit lens is shown.
        </p>
      )}
      {error && (
        <p class="heatmap-error" role="alert">
          {error}
        </p>
      )}

      <div class={running ? 'heatmap-frame is-running' : 'heatmap-frame'} ref={frame} aria-busy={running}>
        {first && layout && (
          <>
            {follow !== null && first.followed && (
              <FollowControls
                token={first.followed.token}
                as={state.followAs}
                onAs={(followAs) => update({ followAs })}
                onClear={() => update({ follow: null })}
              />
            )}
            <div class="heatmap-legend" ref={legendBox} />
            <div class={sideBySide ? 'compare-panels is-side-by-side' : 'compare-panels'} style={{ gap: `${PANEL_GAP}px` }}>
              {panels.map(({ lens, label }) => (
                <section key={lens} class={`compare-panel lens-${lens}`} aria-label={label}>
                  <p class="compare-panel-title">
                    <span class="compare-swatch" aria-hidden="true" />
                    {label}
                    {info && <span class="compare-depth"> · {meanDepthLabel(shown[lens]!, info.numLayers)}</span>}
                  </p>
                  <div class="heatmap-scroll" tabIndex={-1} ref={scrollers[lens]} onScroll={() => syncScroll(lens)}>
                    <div class="heatmap-canvas" style={{ width: `${layout.width}px`, height: `${layout.height}px` }}>
                      <div ref={plotBoxes[lens]} />
                      <CellGrid
                        trajectory={shown[lens]!}
                        statistic={quantity}
                        layout={layout}
                        active={highlight}
                        label={`${label} predictions by layer and token, coloured by ${stat.label.toLowerCase()}`}
                        onActive={setActive}
                        onHover={setHover}
                        onTogglePin={() => setPinned((p) => !p)}
                        onUnpin={() => setPinned(false)}
                      />
                    </div>
                  </div>
                </section>
              ))}
            </div>
            <CompareReadout
              columns={columns}
              row={highlight.row}
              position={highlight.position}
              pinned={pinned}
              onClose={() => setPinned(false)}
              onFollow={(id) => update({ follow: id })}
            />
          </>
        )}
        {!first && !error && engineState.status !== 'error' && <p class="heatmap-placeholder">The two heatmaps appear here once the model has run.</p>}
      </div>

      <figcaption id={`${id}-caption`}>
        <a class="heatmap-anchor" href={`#${id}`} aria-label="Link to this figure">
          #
        </a>{' '}
        {props.caption ?? 'The logit lens and the tuned lens on the same prompt.'} Both heatmaps share one colour scale: {stat.description}
        {follow !== null && first?.followed ? ` “${formatToken(first.followed.token, { maxLength: 24 })}”` : ''} ({stat.unit}). <CopyLink id={id} />
      </figcaption>
    </figure>
  );
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
