/**
 * The loaded lens's translators, layer by layer: ‖A_ℓ‖_F and ‖b_ℓ‖, and the singular values of
 * I + A_ℓ. The numbers are computed in the engine Worker (`translator-stats`), seconds for GPT-2;
 * TranslatorView.tsx draws them.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { engine } from '../../src/engine/client.ts';
import { FigureStatus, Placeholder } from '../shared/FigureStatus.tsx';
import { urlState, useEngine, useLatestRun, useUrlState, useWidth } from '../shared/island-hooks.ts';
import { normPlot, spectrumPlot } from './translator-plot.ts';
import { TranslatorView } from './TranslatorView.tsx';

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
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const frame = useRef<HTMLDivElement>(null);
  const width = useWidth(frame);
  useUrlState(id, { lens }, { lens: props.lens ?? 'tuned' });
  const shownLens = info && !info.lenses.includes(lens) ? 'logit' : lens;

  const { result, running, error } = useLatestRun(
    info &&
      ((isStale) => {
        setProgress({ done: 0, total: info.numLayers });
        return engine()
          .translatorStats(shownLens, (done, total) => !isStale() && setProgress({ done, total }))
          .then((stats) => ({ lens: shownLens, stats }))
          .finally(() => !isStale() && setProgress(null));
      }),
    [shownLens, info?.key, info?.lenses.join()],
  );

  const shown = useMemo(
    () => result && { ...result, norms: normPlot(result.stats, { width }), spectrum: spectrumPlot(result.stats, { width }) },
    [result, width],
  );
  const d = info?.dModel ?? 0;

  return (
    <TranslatorView
      id={id}
      frameRef={frame}
      caption={props.caption}
      lens={shownLens}
      lenses={info?.lenses ?? ['tuned', 'logit']}
      onLens={setLens}
      model={info}
      shown={shown}
      running={running}
      status={
        <FigureStatus
          engineState={engineState}
          note={
            info &&
            !info.lenses.includes('tuned') &&
            `No tuned lens for this model${info.lensError ? ` (${info.lensError})` : ''} — showing the logit lens, whose translators are all zero.`
          }
          error={error}
        >
          {progress && (
            <div class="engine-status" role="status">
              <span>
                Computing the singular values of {progress.total} matrices of {d} × {d}: {progress.done} of {progress.total}
              </span>
              <progress max={progress.total} value={progress.done} aria-label="Computing translator spectra" />
            </div>
          )}
        </FigureStatus>
      }
      placeholder={
        <Placeholder engineState={engineState} error={error}>
          The translators appear here once the lens has loaded.
        </Placeholder>
      }
    />
  );
}
