/**
 * Layer transfer, live: translator i of the tuned lens applied to layer j's hidden state for every i and
 * j, and the mean KL to the model's output over the reader's text. L head runs in the engine Worker
 * (a while for GPT-2), with progress and a Cancel button; a new text or lens cancels the running one.
 * TransferView.tsx draws the figure.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { CancelledError, engine } from '../../src/engine/client.ts';
import { FigureStatus, Placeholder } from '../shared/FigureStatus.tsx';
import type { FigureProps } from '../shared/LensFigure.tsx';
import { urlState, useEngine, useLatestRun, useUrlState, useWidth } from '../shared/island-hooks.ts';
import { transferLegend, transferPlot } from './transfer-plot.ts';
import { TransferView } from './TransferView.tsx';

export interface TransferProps extends FigureProps {
  /** The text the figure opens with (the chapter's reading is about it). */
  text: string;
  lens?: string;
}

const DEBOUNCE_MS = 400;

export default function Transfer(props: TransferProps) {
  const { id } = props;
  const defaults = { text: props.text, lens: props.lens ?? 'tuned' };
  const [text, setText] = useState(() => urlState(id).get('text') ?? defaults.text);
  const [lens, setLens] = useState(() => urlState(id).get('lens') ?? defaults.lens);
  const { engineState, info } = useEngine();
  const [progress, setProgress] = useState<{ done: number; total: number; cancel: () => void } | null>(null);
  const [cancelled, setCancelled] = useState(false);
  // Bumped by "Compute it again" after a cancel, to run the same text once more.
  const [attempt, setAttempt] = useState(0);
  const frame = useRef<HTMLDivElement>(null);
  const width = useWidth(frame);
  useUrlState(id, { text, lens }, defaults);

  // Only lenses with translators transfer; the logit lens has none.
  const tunedLenses = info?.lenses.filter((l) => l !== 'logit') ?? [];
  const shownLens = tunedLenses.includes(lens) ? lens : (tunedLenses[0] ?? null);

  const { result, running, error } = useLatestRun(
    info && shownLens !== null
      ? (isStale) => {
          const run = engine().layerTransfer(text, shownLens, (done, total) => !isStale() && setProgress({ done, total, cancel: run.cancel }));
          setCancelled(false);
          setProgress({ done: 0, total: info.numLayers, cancel: run.cancel });
          const done = run.done
            .then(({ transfer, ms }) => ({ lens: shownLens, transfer, ms }))
            .catch((e: Error) => {
              if (e instanceof CancelledError && !isStale()) setCancelled(true);
              throw e;
            })
            .finally(() => !isStale() && setProgress(null));
          return { done, cancel: run.cancel };
        }
      : null,
    [text, shownLens, info?.key, info?.lenses.join(), attempt],
    { debounce: DEBOUNCE_MS },
  );

  const shown = useMemo(
    () => result && { ...result, plot: transferPlot(result.transfer, { width }), legend: transferLegend(result.transfer) },
    [result, width],
  );

  return (
    <TransferView
      {...props}
      text={text}
      onText={setText}
      lens={shownLens}
      lenses={tunedLenses}
      onLens={setLens}
      model={info}
      shown={shown}
      timing={result && ` Computed in ${(result.ms / 1000).toFixed(1)} s.`}
      running={running}
      frameRef={frame}
      status={
        <FigureStatus
          engineState={engineState}
          note={
            info &&
            tunedLenses.length === 0 && (
              <>
                {info.name} has no tuned lens{info.lensError ? ` (${info.lensError})` : ''}, and the logit lens has no translators to transfer. Train one in{' '}
                <a href="/training/">chapter 6</a> or add one to a heatmap.
              </>
            )
          }
          error={error}
        >
          {progress && (
            <div class="engine-status" role="status">
              <span>
                Decoding every hidden state through every translator: {progress.done} of {progress.total} layers
              </span>
              <progress max={progress.total} value={progress.done} aria-label="Layer transfer progress" />
              <button type="button" class="heatmap-share" onClick={progress.cancel}>
                Cancel
              </button>
            </div>
          )}
          {cancelled && !progress && (
            <p class="heatmap-note" role="status">
              Cancelled.{' '}
              <button type="button" class="heatmap-share" onClick={() => setAttempt((n) => n + 1)}>
                Compute it again
              </button>
            </p>
          )}
        </FigureStatus>
      }
      placeholder={
        <Placeholder engineState={engineState} error={error}>
          The transfer matrix appears here once every layer has been decoded.
        </Placeholder>
      }
    />
  );
}
