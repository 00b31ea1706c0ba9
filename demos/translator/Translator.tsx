/**
 * The loaded lens's translators, layer by layer: ‖A_ℓ‖_F and ‖b_ℓ‖, and the singular values of
 * I + A_ℓ. The numbers are computed in the engine Worker (`translator-stats`), seconds for GPT-2.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { engine } from '../../src/engine/client.ts';
import type { TranslatorStats } from '../../src/engine/protocol.ts';
import { EngineStatus } from '../shared/EngineStatus.tsx';
import { CopyLink } from '../curves/CopyLink.tsx';
import { urlState, useEngine, useUrlState, useWidth } from '../shared/island-hooks.ts';
import { NORM_SERIES, normPlot, spectrumPlot } from './translator-plot.ts';
import '../heatmap/heatmap.css';
import '../curves/curves.css';
import './translator.css';

export interface TranslatorProps {
  /** The figure's anchor and URL key; unique on the page. */
  id: string;
  lens?: string;
  caption?: string;
}

export default function Translator(props: TranslatorProps) {
  const { id } = props;
  const [lens, setLens] = useState(() => urlState(id).get('lens') ?? props.lens ?? 'tuned');
  const { engineState, info } = useEngine();
  const [stats, setStats] = useState<{ lens: string; key: string; stats: TranslatorStats[] } | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const frame = useRef<HTMLDivElement>(null);
  const normBox = useRef<HTMLDivElement>(null);
  const spectrumBox = useRef<HTMLDivElement>(null);
  const width = useWidth(frame);
  useUrlState(id, { lens }, { lens: props.lens ?? 'tuned' });
  const shownLens = info && !info.lenses.includes(lens) ? 'logit' : lens;

  useEffect(() => {
    if (!info) return;
    let stale = false;
    setProgress({ done: 0, total: info.numLayers });
    engine()
      .translatorStats(shownLens, (done, total) => !stale && setProgress({ done, total }))
      .then((result) => {
        if (stale) return;
        setStats({ lens: shownLens, key: info.key, stats: result });
        setError(null);
      })
      .catch((e: Error) => !stale && setError(e.message))
      .finally(() => !stale && setProgress(null));
    return () => {
      stale = true;
    };
  }, [shownLens, info?.key, info?.lenses.join()]);

  useEffect(() => {
    if (!stats || !normBox.current || !spectrumBox.current) return;
    normBox.current.replaceChildren(normPlot(stats.stats, width));
    spectrumBox.current.replaceChildren(spectrumPlot(stats.stats, width));
  }, [stats, width]);

  const d = info?.dModel ?? 0;
  const lensLabel = (name: string) => (name === 'tuned' ? 'tuned lens' : name === 'logit' ? 'logit lens (every translator zero)' : name);

  return (
    <figure class="heatmap translator" id={id} aria-labelledby={`${id}-caption`}>
      <div class="heatmap-settings">
        <label>
          <span>Lens</span>
          <select value={shownLens} onChange={(e) => setLens((e.target as HTMLSelectElement).value)}>
            {(info?.lenses ?? ['tuned', 'logit']).map((name) => (
              <option key={name} value={name}>
                {lensLabel(name)}
              </option>
            ))}
          </select>
        </label>
        {info && (
          <span class="heatmap-range-note">
            {info.name}: {info.numLayers} translators of {d} × {d}
          </span>
        )}
      </div>

      <EngineStatus state={engineState} />
      {info && !info.lenses.includes('tuned') && (
        <p class="heatmap-note" role="status">
          No tuned lens for this model{info.lensError ? ` (${info.lensError})` : ''} — showing the logit lens, whose translators are all zero.
        </p>
      )}
      {progress && (
        <div class="engine-status" role="status">
          <span>
            Computing the singular values of {progress.total} matrices of {d} × {d}: {progress.done} of {progress.total}
          </span>
          <progress max={progress.total} value={progress.done} aria-label="Computing translator spectra" />
        </div>
      )}
      {error && (
        <p class="heatmap-error" role="alert">
          {error}
        </p>
      )}

      <div class={progress ? 'heatmap-frame is-running' : 'heatmap-frame'} ref={frame} aria-busy={progress !== null}>
        {stats ? (
          <>
            <p class="translator-plot-title">How far each translator is from the identity</p>
            <ul class="curves-legend translator-legend" aria-label="Series">
              {NORM_SERIES.map((s) => (
                <li key={s.key}>
                  <span class="translator-swatch" style={{ background: s.color }} aria-hidden="true" />
                  {s.label}
                </li>
              ))}
            </ul>
            <div
              ref={normBox}
              role="img"
              aria-label={`Norms of A and b for each of the ${stats.stats.length} translators of the ${lensLabel(stats.lens)}`}
              data-plot="norms"
            />
            <p class="translator-plot-title">Singular values of I + A_ℓ, one row per layer</p>
            <div
              ref={spectrumBox}
              role="img"
              aria-label={`Singular-value spectrum of I + A for each translator of the ${lensLabel(stats.lens)}`}
              data-plot="spectrum"
            />
            <details class="curves-numbers">
              <summary>The numbers</summary>
              <div class="curves-table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">layer</th>
                      <th scope="col">‖A_ℓ‖_F</th>
                      <th scope="col">‖b_ℓ‖</th>
                      <th scope="col">largest σ</th>
                      <th scope="col">smallest σ</th>
                    </tr>
                  </thead>
                  <tbody>
                    {stats.stats.map((s) => (
                      <tr key={s.layer}>
                        <th scope="row">{s.layer}</th>
                        <td>{s.weightNorm.toFixed(3)}</td>
                        <td>{s.biasNorm.toFixed(3)}</td>
                        <td>{s.singularValues[0]?.toFixed(3)}</td>
                        <td>{s.singularValues[s.singularValues.length - 1]?.toFixed(3)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          </>
        ) : (
          !error && engineState.status !== 'error' && <p class="heatmap-placeholder">The translators appear here once the lens has loaded.</p>
        )}
      </div>

      <figcaption id={`${id}-caption`}>
        <a class="heatmap-anchor" href={`#${id}`} aria-label="Link to this figure">
          #
        </a>{' '}
        {props.caption ?? 'The loaded lens’s translators.'} Top: the Frobenius norm of each A_ℓ and the length of each b_ℓ (both 0 for the logit lens). Bottom:
        every singular value of I + A_ℓ as a tick; the identity would put all {d || 'd'} of them on the dashed line at 1. <CopyLink id={id} />
      </figcaption>
    </figure>
  );
}
