/**
 * The training figure's frame, one markup for both renderings: the live island (Train.tsx), where the
 * reader trains a lens, and the run made at build time (TrainFigure.astro), with its controls
 * disabled. What differs — the buttons and progress live, the account of the build's run — comes in
 * as `status` and `after`.
 */
import type { ComponentChildren, Ref } from 'preact';
import { LensFigure, type Built } from '../shared/LensFigure.tsx';
import { PlotBox, type Drawing } from '../shared/PlotBox.tsx';
import { LayerLegend } from './LayerLegend.tsx';
import { LossTable, type LossTableProps } from './LossTable.tsx';
import { TrainSettings, TrainSource, type TrainSettingsProps, type TrainSourceProps } from './TrainControls.tsx';
import '../shared/figure.css';
import './train.css';

export interface TrainViewProps {
  id: string;
  built?: Built;
  caption: ComponentChildren;
  source: TrainSourceProps;
  settings: TrainSettingsProps;
  /** Between the settings and the loss curves: live, the buttons and progress; at build time, what the run did. */
  status: ComponentChildren;
  /** The curves' legend, with the log-scale switch live. */
  legend: { numLayers: number; logScale?: { checked: boolean; onChange: (log: boolean) => void } } | null;
  plot: { drawing: Drawing; label: string; example?: boolean; note?: string | null };
  frameRef?: Ref<HTMLDivElement>;
  /** The numbers, step by step (none before a run). */
  table: LossTableProps | null;
  /** Live only: what to do with the lens once trained. */
  after?: ComponentChildren;
}

export function TrainView({ id, built, caption, source, settings, status, legend, plot, frameRef, table, after }: TrainViewProps) {
  return (
    <LensFigure id={id} kind="train" built={built} caption={caption} share={false}>
      <TrainSource {...source} />
      <TrainSettings {...settings} />
      {typeof status === 'string' ? <p class="train-status">{status}</p> : status}
      <div class="heatmap-frame train-frame" ref={frameRef}>
        {legend && (
          <div class="train-plot-head">
            <LayerLegend numLayers={legend.numLayers} />
            {legend.logScale && (
              <label class="train-check">
                <input type="checkbox" checked={legend.logScale.checked} onChange={(e) => legend.logScale?.onChange((e.target as HTMLInputElement).checked)} />
                <span>log scale</span>
              </label>
            )}
          </div>
        )}
        <PlotBox drawing={plot.drawing} class={plot.example ? 'train-plot is-example' : 'train-plot'} role="img" aria-label={plot.label} />
        {plot.note && <p class="train-example-note">{plot.note}</p>}
      </div>
      {table && <LossTable {...table} />}
      {after}
    </LensFigure>
  );
}
