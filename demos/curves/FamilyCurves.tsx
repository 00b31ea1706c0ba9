/**
 * The comparison across model families, live: once a Pythia model (GPT-NeoX) is loaded in the page,
 * both lenses' bits per byte by layer on the reader's text, drawn beside the tuned lens's curve that
 * the tuned-lens authors measured for that model on the Pile (quoted: paper-numbers.ts). On any other
 * model the figure says how to load one; the quoted numbers stay in the table around it
 * (FamilyFigure.astro).
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { engine } from '../../src/engine/client.ts';
import { EngineStatus } from '../shared/EngineStatus.tsx';
import { urlState, useEngine, useLatestRun, useUrlState, useWidth } from '../shared/island-hooks.ts';
import { LensLegend } from '../shared/LensLegend.tsx';
import { NumbersTable, fmt3 } from '../shared/NumbersTable.tsx';
import { PlotBox } from '../shared/PlotBox.tsx';
import { layerCurves } from './curves-data.ts';
import { LENS_LABELS, layerCurvePlot } from './curves-plot.ts';
import { PYTHIA_TUNED_BITS_PER_BYTE } from './paper-numbers.ts';
import '../shared/figure.css';
import './curves.css';

export interface FamilyCurvesProps {
  /** The figure's URL key; unique on the page. */
  id: string;
  text: string;
}

/** The quoted curve's name in the plot and the table. */
export const QUOTED = 'tuned lens, quoted (Pile)';
const DEBOUNCE_MS = 400;

export default function FamilyCurves(props: FamilyCurvesProps) {
  const { id } = props;
  const initialText = useMemo(() => urlState(id).get('text') ?? props.text, []);
  const [text, setText] = useState(initialText);
  const { engineState, info } = useEngine();
  const frame = useRef<HTMLDivElement>(null);
  const width = useWidth(frame);
  useUrlState(id, { text }, { text: props.text });

  const pythia = info !== null && info.key.startsWith('pythia-');
  const lenses = (['logit', 'tuned'] as const).filter((l) => info?.lenses.includes(l));
  const quotedForKey = pythia ? PYTHIA_TUNED_BITS_PER_BYTE[info.key] : undefined;
  // Quoted layers are drawn against this model's layers only when the depths agree (a mirror or a
  // test may serve another model under the same name).
  const quoted = quotedForKey?.length === info?.numLayers ? quotedForKey : undefined;

  const { result, running, error } = useLatestRun(
    pythia
      ? () =>
          Promise.all(
            lenses.map((lens) =>
              engine()
                .trajectory({ text, lens, topk: 1 }, `${id}:${lens}`)
                .then((r) => layerCurves(lens, r.trajectory, text)),
            ),
          ).then((runs) => ({ key: info.key, points: runs.flat() }))
      : null,
    [text, info?.key, lenses.join()],
    { debounce: DEBOUNCE_MS },
  );
  // Only this model's curves: another model's stay out, even while this one's are on their way.
  const points = pythia && result?.key === info.key ? result.points : null;

  const drawing = useMemo(() => {
    if (!points || !info) return null;
    const quotedPoints = (quoted ?? []).map((bitsPerByte, layer) => ({ lens: QUOTED, layer, bitsPerByte }));
    const drawn = [...points.map(({ lens, layer, bitsPerByte }) => ({ lens, layer, bitsPerByte })), ...quotedPoints];
    return layerCurvePlot(drawn, {
      y: 'bitsPerByte',
      yLabel: 'bits per byte',
      yType: 'log',
      outputRow: info.numLayers,
      width: Math.min(width, 720),
      format: (v) => v.toFixed(3),
    });
  }, [points, width]);

  const value = (lens: string, layer: number) => points?.find((p) => p.lens === lens && p.layer === layer)?.bitsPerByte;

  return (
    <div class="heatmap curves family-curves">
      <label class="heatmap-prompt">
        <span>Your text</span>
        <textarea rows={3} value={text} spellcheck={false} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      </label>
      <EngineStatus state={engineState} />
      {info && !pythia && (
        <p class="heatmap-note" role="status">
          This figure runs on a Pythia model; the page is running {info.name} now. Open the model picker at the top of the page and choose Pythia-70m-deduped
          (the smallest download), 160m or 410m: the curves for your text then appear here, beside the quoted ones.
        </p>
      )}
      {pythia && !lenses.includes('tuned') && (
        <p class="heatmap-note" role="status">
          The tuned lens for {info.name} did not load ({info.lensError}) — only the logit lens is drawn.
        </p>
      )}
      {pythia && !quoted && (
        <p class="heatmap-note" role="status">
          {quotedForKey
            ? `The quoted numbers are for ${quotedForKey.length} layers, but ${info.name} as loaded has ${info.numLayers}, so only the live curves are drawn.`
            : `The tuned-lens notebooks quote no per-layer numbers for ${info.name}; only the live curves are drawn.`}
        </p>
      )}
      {error && (
        <p class="heatmap-error" role="alert">
          {error}
        </p>
      )}
      <div class={running ? 'heatmap-frame is-running' : 'heatmap-frame'} ref={frame} aria-busy={running}>
        {pythia && (
          <LensLegend
            label="Curves"
            entries={[...lenses.map((lens) => ({ lens, label: `${LENS_LABELS[lens]}, your text` })), ...(quoted ? [{ lens: 'quoted', label: QUOTED }] : [])]}
          />
        )}
        {points && (
          <PlotBox
            drawing={drawing}
            role="img"
            aria-label={`Bits per byte by layer on your text for each lens${quoted ? ', beside the tuned lens numbers quoted for this model' : ''}`}
            class="curves-plot"
            data-plot="family"
          />
        )}
        {points && info && (
          <NumbersTable
            label="The numbers, by layer"
            corner="layer"
            rows={Array.from({ length: info.numLayers + 1 }, (_, layer) => layer)}
            rowKey={(layer) => layer}
            rowHeader={(layer) => (layer === info.numLayers ? 'output' : layer)}
            columns={[
              ...lenses.map((lens) => ({ key: lens, header: `bits/byte, ${LENS_LABELS[lens]}`, value: (layer: number) => fmt3(value(lens, layer)) })),
              ...(quoted ? [{ key: 'quoted', header: `bits/byte, ${QUOTED}`, value: (layer: number) => quoted[layer]?.toFixed(2) ?? '—' }] : []),
            ]}
          />
        )}
      </div>
    </div>
  );
}
