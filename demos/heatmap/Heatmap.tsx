/**
 * The seed notebook's `plot_lens`, live: type a prompt and watch what each layer predicts. Every
 * setting is in the URL (see heatmap-state.ts); the model runs in the page's engine Worker, and
 * HeatmapView.tsx draws the figure.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { engine } from '../../src/engine/client.ts';
import { FigureStatus, Placeholder } from '../shared/FigureStatus.tsx';
import { useEngine, useLatestRun, useUrlState, useWidth } from '../shared/island-hooks.ts';
import type { Cell } from './CellGrid.tsx';
import { depthLegend, depthStripPlot } from './depth-strip.ts';
import { DEFAULT_STATE, decodeState, encodeState, followable, shareUrl, shownQuantity, trajectoryRequest, type HeatmapState } from './heatmap-state.ts';
import { heatmapLayout, heatmapLegend, heatmapPlot, heatmapWantsWideFrame } from './heatmap-plot.ts';
import { HeatmapView, type HeatmapShown } from './HeatmapView.tsx';
import { LensUpload } from './LensUpload.tsx';
import { hasQuantity } from './statistic-scales.ts';

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
  const [active, setActive] = useState<Cell>({ row: 0, position: 0 });
  const [hover, setHover] = useState<Cell | null>(null);
  const [pinned, setPinned] = useState(false);
  const frame = useRef<HTMLDivElement>(null);

  const { engineState, info } = useEngine();
  const width = useWidth(frame);
  const lensAvailable = info?.lenses.includes(state.lens) ?? false;
  const lens = info && !lensAvailable ? 'logit' : state.lens;
  const follow = followable(state.follow, info?.vocabSize);
  const request = { ...trajectoryRequest(state, lens, follow), sublayers: state.sublayers };

  // Recompute when the prompt, lens, top-k, shown positions or model change; moving the position
  // sliders asks at once, typing waits for a pause. The Worker reuses what it computed before, so
  // only new columns cost anything.
  const { result, running, error } = useLatestRun(
    info && (() => engine().trajectory(request, id)),
    [...Object.values(request), info?.key, info?.lenses.join()],
    { debounce: DEBOUNCE_MS, typed: state.text },
  );

  useUrlState(id, encodeState(state), encodeState(defaults));

  const trajectory = useMemo(() => result?.trajectory.stride(state.stride) ?? null, [result, state.stride]);
  const quantity = shownQuantity({ ...state, follow });
  // Until the run that carries it is back (a followed token, the change per layer), the old drawing stays.
  const ready = trajectory !== null && hasQuantity(trajectory, quantity);
  // While another model loads (no info), the last drawing stays.
  const lastShown = useRef<HeatmapShown | null>(null);
  const shown = useMemo((): HeatmapShown | null => {
    if (!trajectory) return null;
    if (!info) return lastShown.current;
    const layout = heatmapLayout(trajectory, width);
    const options = { statistic: quantity, vocabSize: info.vocabSize, layout };
    const plot = ready ? heatmapPlot(trajectory, options) : null;
    plot?.setAttribute('aria-hidden', 'true');
    const depth = state.depth ? { numLayers: info.numLayers, layout } : null;
    const strip = depth && depthStripPlot(trajectory, depth);
    strip?.setAttribute('aria-hidden', 'true');
    return {
      trajectory,
      layout,
      plot,
      legend: ready ? heatmapLegend(trajectory, options) : null,
      depth: depth && { numLayers: depth.numLayers, strip, legend: depthLegend(depth) },
    };
  }, [trajectory, quantity, ready, width, info?.vocabSize, info?.numLayers, state.depth]);
  lastShown.current = shown;

  // Keep the active cell inside the grid when its shape changes.
  const rows = trajectory?.rows.length ?? 0;
  const cols = trajectory?.numPositions ?? 0;
  const activeCell = { row: Math.min(active.row, Math.max(0, rows - 1)), position: Math.min(active.position, Math.max(0, cols - 1)) };

  const update = (patch: Partial<HeatmapState>) => setState((s) => ({ ...s, ...patch }));

  return (
    <HeatmapView
      id={id}
      caption={props.caption}
      state={state}
      lens={lens}
      lenses={info?.lenses ?? ['tuned', 'logit']}
      update={update}
      quantity={quantity}
      numTokens={result?.numTokens ?? 0}
      shown={shown}
      following={follow !== null}
      wide={trajectory !== null && heatmapWantsWideFrame(trajectory.numPositions)}
      cells={{
        active: activeCell,
        readout: pinned ? activeCell : (hover ?? activeCell),
        pinned,
        onActive: setActive,
        onHover: setHover,
        onTogglePin: () => setPinned((p) => !p),
        onClose: () => setPinned(false),
        onFollow: (id) => update({ follow: id }),
      }}
      frameWidth={width}
      frameRef={frame}
      running={running}
      errorId={error ? `${id}-error` : undefined}
      shareUrl={() => shareUrl(id, state, location)}
      timing={
        result &&
        info && (
          <span class="heatmap-timing">
            {' '}
            Computed in {Math.round(result.ms)} ms on {info.backend === 'webgpu' ? 'WebGPU' : `WASM (${info.threads} thread${info.threads === 1 ? '' : 's'})`}.
          </span>
        )
      }
      status={
        <FigureStatus
          engineState={engineState}
          note={info?.lensError && state.lens === 'tuned' && `No tuned lens for this model (${info.lensError}) — showing the logit lens.`}
          error={error}
          errorId={`${id}-error`}
        />
      }
      placeholder={
        <Placeholder engineState={engineState} error={error}>
          The heatmap appears here once the model has run.
        </Placeholder>
      }
      after={<LensUpload />}
    />
  );
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
