/**
 * The translator figure, one markup for both renderings: the live island (Translator.tsx) and the
 * figure drawn at build time from the embedded model's lens (TranslatorFigure.astro). Without
 * `onLens` the lens menu is disabled, as at build time.
 */
import type { ComponentChildren, Ref } from 'preact';
import type { TranslatorStats } from '../../src/engine/protocol.ts';
import { LensFigure, type Built } from '../shared/LensFigure.tsx';
import { NumbersTable } from '../shared/NumbersTable.tsx';
import { FigureFrame } from '../shared/FigureFrame.tsx';
import { PlotBox, type Drawing } from '../shared/PlotBox.tsx';
import { NORM_SERIES } from './translator-plot.ts';
import '../shared/figure.css';
import './translator.css';

export interface TranslatorViewProps {
  id: string;
  caption?: string;
  built?: Built;
  lens: string;
  lenses: readonly string[];
  onLens?: (lens: string) => void;
  /** The loaded model (null while it loads). */
  model: { name: string; numLayers: number; dModel: number } | null;
  /** The statistics drawn, and the lens they are of. */
  shown: { lens: string; stats: TranslatorStats[]; norms: Drawing; spectrum: Drawing } | null;
  /** Live only: the engine's status, notes and errors, above the frame. */
  status?: ComponentChildren;
  running?: boolean;
  placeholder?: ComponentChildren;
  /** Live only: the frame, whose width the island measures. */
  frameRef?: Ref<HTMLDivElement>;
}

export function lensLabel(name: string): string {
  return name === 'tuned' ? 'tuned lens' : name === 'logit' ? 'logit lens (every translator zero)' : name;
}

export function TranslatorView({
  id,
  caption,
  built,
  lens,
  lenses,
  onLens,
  model,
  shown,
  status,
  running = false,
  placeholder,
  frameRef,
}: TranslatorViewProps) {
  const d = model?.dModel ?? 0;
  return (
    <LensFigure
      id={id}
      kind="translator"
      built={built}
      caption={
        <>
          {caption ?? 'The loaded lens’s translators.'} Top: the Frobenius norm of each A_ℓ and the length of each b_ℓ (both 0 for the logit lens). Bottom:
          every singular value of I + A_ℓ as a tick; the identity would put all {d || 'd'} of them on the dashed line at 1.
        </>
      }
    >
      <div class="heatmap-settings">
        <label>
          <span>Lens</span>
          <select value={lens} disabled={!onLens} onChange={(e) => onLens?.((e.target as HTMLSelectElement).value)}>
            {lenses.map((name) => (
              <option key={name} value={name} selected={name === lens}>
                {lensLabel(name)}
              </option>
            ))}
          </select>
        </label>
        {model && (
          <span class="heatmap-range-note">
            {model.name}: {model.numLayers} translators of {d} × {d}
          </span>
        )}
      </div>

      {status}

      <FigureFrame shown={shown} running={running} built={!!built} frameRef={frameRef} placeholder={placeholder}>
        {(shown) => (
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
            <PlotBox
              drawing={shown.norms}
              role="img"
              aria-label={`Norms of A and b for each of the ${shown.stats.length} translators of the ${lensLabel(shown.lens)}`}
              data-plot="norms"
            />
            <p class="translator-plot-title">Singular values of I + A_ℓ, one row per layer</p>
            <PlotBox
              drawing={shown.spectrum}
              role="img"
              aria-label={`Singular-value spectrum of I + A for each translator of the ${lensLabel(shown.lens)}`}
              data-plot="spectrum"
            />
            <NumbersTable
              label="The numbers, by translator"
              corner="layer"
              rows={shown.stats}
              rowKey={(s) => s.layer}
              rowHeader={(s) => s.layer}
              columns={[
                { key: 'weight', header: '‖A_ℓ‖_F', value: (s) => s.weightNorm.toFixed(3) },
                { key: 'bias', header: '‖b_ℓ‖', value: (s) => s.biasNorm.toFixed(3) },
                { key: 'largest', header: 'largest σ', value: (s) => s.singularValues[0]?.toFixed(3) },
                { key: 'smallest', header: 'smallest σ', value: (s) => s.singularValues[s.singularValues.length - 1]?.toFixed(3) },
              ]}
            />
          </>
        )}
      </FigureFrame>
    </LensFigure>
  );
}
