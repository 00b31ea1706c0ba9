/**
 * The logit lens and the tuned lens on the same prompt, live. Hover, click or move with the arrow
 * keys in either heatmap and the same cell is highlighted in both, with one readout comparing what
 * the two lenses read there. State lives in the URL like the heatmap's (heatmap-state.ts; the `lens`
 * field is unused here); CompareView.tsx draws the figure.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { engine } from '../../src/engine/client.ts';
import { FigureStatus, Placeholder } from '../shared/FigureStatus.tsx';
import type { Cell } from '../heatmap/CellGrid.tsx';
import { DEFAULT_STATE, decodeState, encodeState, followable, shownQuantity, trajectoryRequest, type HeatmapState } from '../heatmap/heatmap-state.ts';
import { heatmapLegend, heatmapPlot } from '../heatmap/heatmap-plot.ts';
import { hasQuantity } from '../heatmap/statistic-scales.ts';
import { useEngine, useLatestRun, useUrlState, useWidth } from '../shared/island-hooks.ts';
import { compareLayout, sharedColorOptions, SIDE_BY_SIDE_MIN_WIDTH } from './compare-plot.ts';
import { CompareView, LENSES, PANEL_GAP, type CompareShown, type LensName } from './CompareView.tsx';

export interface CompareProps extends Partial<Omit<HeatmapState, 'lens'>> {
  /** The figure's anchor and URL key; unique on the page. */
  id: string;
  caption?: string;
}

const DEBOUNCE_MS = 250;

export default function Compare(props: CompareProps) {
  const { id } = props;
  const defaults: HeatmapState = { ...DEFAULT_STATE, statistic: 'forwardKl', ...stripUndefined(props), lens: 'tuned' };
  const [state, setState] = useState<HeatmapState>(() => decodeState(new URLSearchParams(location.search).get(id), defaults));
  const { engineState, info } = useEngine();
  const [active, setActive] = useState<Cell>({ row: 0, position: 0 });
  const [hover, setHover] = useState<Cell | null>(null);
  const [pinned, setPinned] = useState(false);
  const frame = useRef<HTMLDivElement>(null);
  const width = useWidth(frame);
  useUrlState(id, encodeState(state), encodeState(defaults));
  const scrollers = { logit: useRef<HTMLDivElement>(null), tuned: useRef<HTMLDivElement>(null) };

  const hasTuned = info?.lenses.includes('tuned') ?? false;
  const follow = followable(state.follow, info?.vocabSize);
  // The same request for both lenses.
  const request = trajectoryRequest(state, 'tuned', follow);
  const quantity = shownQuantity({ ...state, follow });

  // Both lenses, one after the other in the engine's queue.
  const { result, running, error } = useLatestRun(
    info &&
      (() => {
        const run = (lens: LensName) => engine().trajectory({ ...request, lens }, `${id}:${lens}`);
        return Promise.all([run('logit'), hasTuned ? run('tuned') : Promise.resolve(null)]).then(([logit, tuned]) => ({
          lenses: { logit: logit.trajectory, tuned: tuned?.trajectory ?? null },
          numTokens: logit.numTokens,
        }));
      }),
    [...Object.values(request), info?.key, hasTuned],
    { debounce: DEBOUNCE_MS, typed: state.text },
  );

  const trajectories = useMemo(
    () => LENSES.flatMap(({ lens, label }) => (result?.lenses[lens] ? [{ lens, label, trajectory: result.lenses[lens].stride(state.stride) }] : [])),
    [result, state.stride],
  );
  const sideBySide = trajectories.length === 2 && width >= SIDE_BY_SIDE_MIN_WIDTH;
  const panelWidth = sideBySide ? Math.floor((width - PANEL_GAP) / 2) : width;

  // Until the runs that carry the statistic (or the followed token) are back, the old drawings stay.
  const lastShown = useRef<CompareShown | null>(null);
  const shown = useMemo((): CompareShown | null => {
    const first = trajectories[0]?.trajectory;
    if (!first) return null;
    if (!info) return lastShown.current;
    const layout = compareLayout(first, panelWidth);
    const ready = trajectories.every(({ trajectory }) => hasQuantity(trajectory, quantity));
    const options = ready
      ? {
          statistic: quantity,
          vocabSize: info.vocabSize,
          layout,
          color: sharedColorOptions(
            trajectories.map((t) => t.trajectory),
            quantity,
            info.vocabSize,
          ),
        }
      : null;
    const hidden = (element: Element) => (element.setAttribute('aria-hidden', 'true'), element);
    return {
      layout,
      legend: options && heatmapLegend(first, options),
      panels: trajectories.map((t) => ({ ...t, plot: options && hidden(heatmapPlot(t.trajectory, options)) })),
    };
  }, [trajectories, quantity, panelWidth, info?.vocabSize]);
  lastShown.current = shown;

  const rows = trajectories[0]?.trajectory.rows.length ?? 0;
  const cols = trajectories[0]?.trajectory.numPositions ?? 0;
  const clampCell = (c: Cell) => ({ row: Math.min(c.row, Math.max(0, rows - 1)), position: Math.min(c.position, Math.max(0, cols - 1)) });
  const activeCell = clampCell(active);

  const update = (patch: Partial<HeatmapState>) => setState((s) => ({ ...s, ...patch }));

  const syncScroll = (source: LensName) => {
    const left = scrollers[source].current?.scrollLeft ?? 0;
    for (const { lens } of LENSES) {
      const other = scrollers[lens].current;
      if (lens !== source && other && other.scrollLeft !== left) other.scrollLeft = left;
    }
  };

  return (
    <CompareView
      id={id}
      caption={props.caption}
      state={state}
      update={update}
      quantity={quantity}
      following={follow !== null}
      numTokens={result?.numTokens ?? 0}
      numLayers={info?.numLayers ?? null}
      shown={shown}
      sideBySide={sideBySide}
      cells={{
        // The one cell both heatmaps highlight: the pinned one, else the one under the pointer, else the keyboard's.
        highlight: pinned ? activeCell : clampCell(hover ?? activeCell),
        pinned,
        onActive: setActive,
        onHover: setHover,
        onTogglePin: () => setPinned((p) => !p),
        onClose: () => setPinned(false),
        onFollow: (id) => update({ follow: id }),
        scrollers,
        onScroll: syncScroll,
      }}
      running={running}
      frameRef={frame}
      status={
        <FigureStatus
          engineState={engineState}
          note={info && !hasTuned && `No tuned lens for this model${info.lensError ? ` (${info.lensError})` : ''} — only the logit lens is shown.`}
          error={error}
        />
      }
      placeholder={
        <Placeholder engineState={engineState} error={error}>
          The two heatmaps appear here once the model has run.
        </Placeholder>
      }
    />
  );
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
