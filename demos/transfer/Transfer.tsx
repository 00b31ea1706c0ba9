/**
 * Layer transfer, live: translator i of the tuned lens applied to layer j's hidden state for every i and
 * j, and the mean KL to the model's output over the reader's text. L head runs in the engine Worker
 * (a while for GPT-2), with progress and a Cancel button; a new text or lens cancels the running one.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { CancelledError, engine } from '../../src/engine/client.ts';
import type { LayerTransfer } from '../../src/engine/protocol.ts';
import { CopyLink } from '../curves/CopyLink.tsx';
import { lensLabel } from '../heatmap/heatmap-static.ts';
import { EngineStatus } from '../shared/EngineStatus.tsx';
import { urlState, useEngine, useUrlState, useWidth } from '../shared/island-hooks.ts';
import { TransferNumbers } from './TransferNumbers.tsx';
import { transferPlot } from './transfer-plot.ts';
import '../heatmap/heatmap.css';
import '../curves/curves.css';
import './transfer.css';

export interface TransferProps {
  /** The figure's anchor and URL key; unique on the page. */
  id: string;
  text: string;
  lens?: string;
  caption?: string;
}

const DEBOUNCE_MS = 400;

export default function Transfer(props: TransferProps) {
  const { id } = props;
  const defaults = { text: props.text, lens: props.lens ?? 'tuned' };
  const [text, setText] = useState(() => urlState(id).get('text') ?? defaults.text);
  const [lens, setLens] = useState(() => urlState(id).get('lens') ?? defaults.lens);
  const { engineState, info } = useEngine();
  const [result, setResult] = useState<{ transfer: LayerTransfer; lens: string; ms: number } | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number; cancel: () => void } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cancelledRun, setCancelledRun] = useState(false);
  const [runs, setRuns] = useState(0);
  const frame = useRef<HTMLDivElement>(null);
  const plotBox = useRef<HTMLDivElement>(null);
  const width = useWidth(frame);
  useUrlState(id, { text, lens }, defaults);

  // Only lenses with translators transfer; the logit lens has none.
  const tunedLenses = info?.lenses.filter((l) => l !== 'logit') ?? [];
  const shownLens = tunedLenses.includes(lens) ? lens : (tunedLenses[0] ?? null);

  useEffect(() => {
    if (!info || !shownLens) return;
    let stale = false;
    let cancel = () => undefined as void;
    const timer = setTimeout(() => {
      const run = engine().layerTransfer(text, shownLens, (done, total) => !stale && setProgress({ done, total, cancel: run.cancel }));
      cancel = run.cancel;
      setCancelledRun(false);
      setProgress({ done: 0, total: info.numLayers, cancel: run.cancel });
      run.done
        .then(({ transfer, ms }) => {
          if (stale) return;
          setResult({ transfer, lens: shownLens, ms });
          setError(null);
        })
        .catch((e: Error) => {
          if (stale) return;
          if (e instanceof CancelledError) setCancelledRun(true);
          else setError(e.message);
        })
        .finally(() => !stale && setProgress(null));
    }, DEBOUNCE_MS);
    return () => {
      stale = true;
      clearTimeout(timer);
      cancel();
    };
  }, [text, shownLens, info?.key, info?.lenses.join(), runs]);

  useEffect(() => {
    if (!result || !plotBox.current) return;
    plotBox.current.replaceChildren(transferPlot(result.transfer, width));
  }, [result, width]);

  const L = info?.numLayers ?? 0;
  return (
    <figure class="heatmap transfer" id={id} aria-labelledby={`${id}-caption`}>
      <div class="heatmap-controls">
        <label class="heatmap-prompt">
          <span>Text</span>
          <textarea rows={2} value={text} spellcheck={false} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        </label>
        <div class="heatmap-settings">
          <label>
            <span>Lens</span>
            <select value={shownLens ?? ''} disabled={tunedLenses.length === 0} onChange={(e) => setLens((e.target as HTMLSelectElement).value)}>
              {tunedLenses.map((name) => (
                <option key={name} value={name}>
                  {lensLabel(name)}
                </option>
              ))}
            </select>
          </label>
          {info && (
            <span class="heatmap-range-note">
              {info.name}: {L} translators × {L} hidden states, {L} passes of the lens head
              {L >= 12 ? ' — on a model this size it takes a while' : ''}
            </span>
          )}
        </div>
      </div>

      <EngineStatus state={engineState} />
      {info && tunedLenses.length === 0 && (
        <p class="heatmap-note" role="status">
          {info.name} has no tuned lens{info.lensError ? ` (${info.lensError})` : ''}, and the logit lens has no translators to transfer. Train one in{' '}
          <a href="/training/">chapter 6</a> or add one to a heatmap.
        </p>
      )}
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
      {cancelledRun && !progress && (
        <p class="heatmap-note" role="status">
          Cancelled.{' '}
          <button type="button" class="heatmap-share" onClick={() => setRuns((n) => n + 1)}>
            Compute it again
          </button>
        </p>
      )}
      {error && (
        <p class="heatmap-error" role="alert">
          {error}
        </p>
      )}

      <div class={progress ? 'heatmap-frame is-running' : 'heatmap-frame'} ref={frame} aria-busy={progress !== null}>
        {result ? (
          <>
            <div
              ref={plotBox}
              role="img"
              aria-label={`Mean KL to the output for each of ${result.transfer.numLayers} translators of the ${lensLabel(result.lens)} on each layer's hidden state`}
            />
            <TransferNumbers transfer={result.transfer} />
          </>
        ) : (
          !error && engineState.status !== 'error' && <p class="heatmap-placeholder">The transfer matrix appears here once every layer has been decoded.</p>
        )}
      </div>

      <figcaption id={`${id}-caption`}>
        <a class="heatmap-anchor" href={`#${id}`} aria-label="Link to this figure">
          #
        </a>{' '}
        {props.caption ?? 'Layer transfer.'} Column j is layer j’s hidden state, row i the translator trained for layer i; colour is the mean KL divergence from
        the model’s output over the text’s {result?.transfer.numPositions ?? ''} tokens (dark = close). The outlined diagonal is the ordinary tuned lens.
        {result && ` Computed in ${(result.ms / 1000).toFixed(1)} s.`} <CopyLink id={id} />
      </figcaption>
    </figure>
  );
}
