/**
 * How far each lens is from the model, layer by layer, over the reader's own text: the mean
 * KL(p‖q), the lens's cross-entropy (in bits per byte or nats per token, with the model's own as a
 * reference line) and the lens's bias KL(p̄‖q̄), one line per lens. Trajectories (with each row's
 * bias, computed in the engine) come from the page's engine; the averaging is done here.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { CancelledError, engine } from '../../src/engine/client.ts';
import { EngineStatus } from '../shared/EngineStatus.tsx';
import { layerCurves, utf8Bytes, type LayerPoint } from './curves-data.ts';
import { LENS_LABELS, crossEntropyField, curvePlots, type CrossEntropyUnit, type CurvePlotKind } from './curves-plot.ts';
import { CopyLink } from './CopyLink.tsx';
import { urlState, useEngine, useUrlState, useWidth } from '../shared/island-hooks.ts';
import '../heatmap/heatmap.css';
import './curves.css';

export const DEFAULT_CURVES_TEXT =
  'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it was the season of Darkness, it was the spring of hope, it was the winter of despair.';

export interface CurvesProps {
  /** The figure's anchor and URL key; unique on the page. */
  id: string;
  text?: string;
  caption?: string;
}

type Unit = CrossEntropyUnit;
const DEBOUNCE_MS = 400;
const GAP = 16;

export default function Curves(props: CurvesProps) {
  const { id } = props;
  const initial = useMemo(() => {
    const params = urlState(id);
    return { text: params.get('text') ?? props.text ?? DEFAULT_CURVES_TEXT, unit: (params.get('unit') === 'nats' ? 'nats' : 'bpb') as Unit };
  }, []);
  const [text, setText] = useState(initial.text);
  const [unit, setUnit] = useState<Unit>(initial.unit);
  const { engineState, info } = useEngine();
  const [points, setPoints] = useState<{ points: LayerPoint[]; tokens: number; bytes: number; outputRow: number } | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const frame = useRef<HTMLDivElement>(null);
  const boxes = { kl: useRef<HTMLDivElement>(null), 'cross-entropy': useRef<HTMLDivElement>(null), bias: useRef<HTMLDivElement>(null) } satisfies Record<
    CurvePlotKind,
    unknown
  >;
  const width = useWidth(frame);
  useUrlState(id, { text, unit }, { text: props.text ?? DEFAULT_CURVES_TEXT, unit: 'bpb' });

  const lenses = (['logit', 'tuned'] as const).filter((l) => info?.lenses.includes(l));

  useEffect(() => {
    if (!info) return;
    let stale = false;
    const timer = setTimeout(() => {
      setRunning(true);
      Promise.all(
        lenses.map((lens) =>
          engine()
            .trajectory({ text, lens, topk: 1 }, `${id}:${lens}`)
            .then((r) => ({ lens, trajectory: r.trajectory })),
        ),
      )
        .then((runs) => {
          if (stale) return;
          setPoints({
            points: runs.flatMap(({ lens, trajectory }) => layerCurves(lens, trajectory, text)),
            tokens: runs[0]?.trajectory.numPositions ?? 0,
            bytes: utf8Bytes(text),
            outputRow: info.numLayers,
          });
          setError(null);
        })
        .catch((e: Error) => {
          if (stale || e instanceof CancelledError) return;
          setError(e.message);
        })
        .finally(() => !stale && setRunning(false));
    }, DEBOUNCE_MS);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [text, info?.key, lenses.join()]);

  const sideBySide = width >= 700;
  const plotWidth = sideBySide ? Math.floor((width - GAP) / 2) : width;
  const ce = crossEntropyField(unit);
  const plots = points ? curvePlots(points.points, points.outputRow, unit) : [];

  useEffect(() => {
    for (const plot of plots) boxes[plot.kind].current?.replaceChildren(plot.draw(plotWidth));
  }, [points, plotWidth, unit]);

  const byLens = (lens: string) => points?.points.filter((p) => p.lens === lens) ?? [];

  return (
    <figure class="heatmap curves lens-figure-wide" id={id} aria-labelledby={`${id}-caption`}>
      <div class="heatmap-controls">
        <label class="heatmap-prompt">
          <span>Your text</span>
          <textarea rows={4} value={text} spellcheck={false} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        </label>
        <div class="heatmap-settings">
          <label>
            <span>Cross-entropy in</span>
            <select value={unit} onChange={(e) => setUnit((e.target as HTMLSelectElement).value as Unit)}>
              <option value="bpb">bits per byte</option>
              <option value="nats">nats per token</option>
            </select>
          </label>
          {points && (
            <span class="heatmap-range-note">
              {points.tokens} tokens, {points.bytes} bytes{info ? ` · ${info.name}` : ''}
            </span>
          )}
        </div>
      </div>

      <EngineStatus state={engineState} />
      {info && !lenses.includes('tuned') && (
        <p class="heatmap-note" role="status">
          No tuned lens for this model — only the logit lens is drawn.
        </p>
      )}
      {error && (
        <p class="heatmap-error" role="alert">
          {error}
        </p>
      )}

      <div class={running ? 'heatmap-frame is-running' : 'heatmap-frame'} ref={frame} aria-busy={running}>
        {points ? (
          <>
            <ul class="curves-legend" aria-label="Lenses">
              {lenses.map((lens) => (
                <li key={lens} class={`lens-${lens}`}>
                  <span class="curves-swatch" aria-hidden="true" />
                  {LENS_LABELS[lens]}
                </li>
              ))}
            </ul>
            <div class={sideBySide ? 'curves-plots is-side-by-side' : 'curves-plots'} style={{ gap: `${GAP}px` }}>
              {plots.map((plot) => (
                <div key={plot.kind} role="img" aria-label={plot.label} ref={boxes[plot.kind]} class="curves-plot" data-plot={plot.kind} />
              ))}
            </div>
            <details class="curves-numbers">
              <summary>The numbers</summary>
              <div class="curves-table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">layer</th>
                      {lenses.map((lens) => (
                        <th scope="col" key={`kl-${lens}`}>
                          KL, {LENS_LABELS[lens]}
                        </th>
                      ))}
                      {lenses.map((lens) => (
                        <th scope="col" key={`ce-${lens}`}>
                          {unit === 'bpb' ? 'bits/byte' : 'nats/token'}, {LENS_LABELS[lens]}
                        </th>
                      ))}
                      {lenses.map((lens) => (
                        <th scope="col" key={`bias-${lens}`}>
                          bias, {LENS_LABELS[lens]}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {byLens(lenses[0] ?? 'logit').map((p) => (
                      <tr key={p.layer}>
                        <th scope="row">{p.row}</th>
                        {lenses.map((lens) => (
                          <td key={`kl-${lens}`}>{fmt(byLens(lens)[p.layer]?.meanKl)}</td>
                        ))}
                        {lenses.map((lens) => (
                          <td key={`ce-${lens}`}>{fmt(byLens(lens)[p.layer]?.[ce.y])}</td>
                        ))}
                        {lenses.map((lens) => (
                          <td key={`bias-${lens}`}>{fmt(byLens(lens)[p.layer]?.bias)}</td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          </>
        ) : (
          !error && engineState.status !== 'error' && <p class="heatmap-placeholder">The curves appear here once the model has read your text.</p>
        )}
      </div>

      <figcaption id={`${id}-caption`}>
        <a class="heatmap-anchor" href={`#${id}`} aria-label="Link to this figure">
          #
        </a>{' '}
        {props.caption ?? 'Each lens, layer by layer, on your text.'} {curvesCaption(unit)} Computed live on {info ? info.name : 'the loaded model'}.{' '}
        <CopyLink id={id} />
      </figcaption>
    </figure>
  );
}

/** What the three plots show, shared with the build-time figure. */
export function curvesCaption(unit: Unit): string {
  const ce =
    unit === 'bpb'
      ? 'as bits per byte: Σ cross-entropy (nats) / ln 2 / UTF-8 bytes of the predicted tokens (every token but the first)'
      : 'averaged over positions';
  return `First plot: the mean D_KL(p‖q) between the model’s output p and the lens’s q, over every position. Second: the lens’s cross-entropy on the token that actually comes next, ${ce} (log scale); the dashed line is the model’s own. Third: the lens’s bias, D_KL(p̄‖q̄) between the model’s and the lens’s distributions averaged over the whole text.`;
}

function fmt(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(3);
}
