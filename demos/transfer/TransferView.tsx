/**
 * The layer-transfer figure, one markup for both renderings: the live island (Transfer.tsx) and the
 * figure drawn at build time from the embedded model (TransferFigure.astro). Without `onText` and
 * `onLens` the controls are disabled, as at build time.
 */
import type { ComponentChildren, Ref } from 'preact';
import type { LayerTransfer } from '../../src/lens/lens-model.ts';
import { lensLabel } from '../heatmap/heatmap-static.ts';
import { LensChoice, PromptField } from '../heatmap/HeatmapSettings.tsx';
import { FigureFrame } from '../shared/FigureFrame.tsx';
import { LensFigure, type Built } from '../shared/LensFigure.tsx';
import { NumbersTable } from '../shared/NumbersTable.tsx';
import { PlotBox, type Drawing } from '../shared/PlotBox.tsx';
import '../shared/figure.css';
import './transfer.css';

export interface TransferShown {
  /** The lens whose translators were transferred. */
  lens: string;
  transfer: LayerTransfer;
  plot: Drawing;
  legend: Drawing;
}

export interface TransferViewProps {
  id: string;
  caption?: string;
  built?: Built;
  text: string;
  onText?: (text: string) => void;
  /** The lens asked for (null where the model has no lens with translators). */
  lens: string | null;
  /** The lenses that have translators to transfer (never the logit lens). */
  lenses: readonly string[];
  onLens?: (lens: string) => void;
  /** The loaded model (null while it loads). */
  model: { name: string; numLayers: number } | null;
  shown: TransferShown | null;
  /** Live only: what follows the caption's sentences (the run's time). */
  timing?: ComponentChildren;
  /** Live only: the engine's status, progress, notes and errors, above the frame. */
  status?: ComponentChildren;
  running?: boolean;
  placeholder?: ComponentChildren;
  frameRef?: Ref<HTMLDivElement>;
}

/** What a transfer costs on the loaded model: L head passes, each a whole trajectory's. */
function transferCost(modelName: string, L: number): string {
  return `${modelName}: ${L} translators × ${L} hidden states, ${L} passes of the lens head${L >= 12 ? ' — on a model this size it takes a while' : ''}`;
}

export function TransferView(props: TransferViewProps) {
  const { id, built, model, shown, running = false, status, placeholder, frameRef } = props;
  const L = model?.numLayers ?? 0;
  const layers = Array.from({ length: shown?.transfer.numLayers ?? 0 }, (_, l) => l);
  return (
    <LensFigure
      id={id}
      kind="transfer"
      built={built}
      caption={
        <>
          {props.caption ?? 'Layer transfer.'} Column j is layer j’s hidden state, row i the translator trained for layer i; colour is the mean KL divergence
          from the model’s output over the text’s {shown?.transfer.numPositions ?? ''} tokens (dark = close). The outlined diagonal is the ordinary tuned lens.
          {props.timing}
        </>
      }
    >
      <div class="heatmap-controls">
        <PromptField label="Text" value={props.text} onChange={props.onText} />
        <div class="heatmap-settings">
          <LensChoice value={props.lens ?? ''} lenses={props.lenses} onChange={props.lenses.length > 0 ? props.onLens : undefined} />
          <span class="heatmap-range-note">{model && transferCost(model.name, L)}</span>
        </div>
      </div>

      {status}

      <FigureFrame shown={shown} running={running} built={!!built} frameRef={frameRef} placeholder={placeholder}>
        {(shown) => (
          <>
            <PlotBox drawing={shown.legend} class="heatmap-legend" />
            <PlotBox
              drawing={shown.plot}
              role="img"
              aria-label={`Mean KL to the output for each of ${shown.transfer.numLayers} translators of the ${lensLabel(shown.lens)} on each layer's hidden state`}
            />
            <NumbersTable
              label="Mean KL to the output, by translator and hidden state"
              corner="translator i \ layer j"
              rows={layers}
              rowKey={(i) => i}
              rowHeader={(i) => i}
              columns={layers.map((j) => ({
                key: String(j),
                header: j,
                value: (i: number) => {
                  const kl = shown.transfer.kl[i * shown.transfer.numLayers + j].toFixed(3);
                  return i === j ? <strong class="transfer-diagonal">{kl}</strong> : kl;
                },
              }))}
            />
          </>
        )}
      </FigureFrame>
    </LensFigure>
  );
}
