/**
 * The layer-curves figure, one markup for both renderings: the live island (Curves.tsx) and the
 * figure drawn at build time by the embedded model (CurvesFigure.astro). Without `onText` and
 * `onUnit` the controls are disabled, as at build time.
 */
import type { ComponentChildren, Ref } from 'preact';
import { LensFigure, type Built } from '../shared/LensFigure.tsx';
import { LensLegend } from '../shared/LensLegend.tsx';
import { NumbersTable, fmt3 } from '../shared/NumbersTable.tsx';
import { FigureFrame } from '../shared/FigureFrame.tsx';
import { PlotBox, type Drawing } from '../shared/PlotBox.tsx';
import type { LayerPoint } from './curves-data.ts';
import { crossEntropyField, LENS_LABELS, type CrossEntropyUnit, type CurvePlotKind } from './curves-plot.ts';
import '../shared/figure.css';
import './curves.css';

export const DEFAULT_CURVES_TEXT =
  'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it was the season of Darkness, it was the spring of hope, it was the winter of despair.';

/** Space between the plots side by side, in pixels. */
export const CURVES_GAP = 16;

export interface CurvesShown {
  points: LayerPoint[];
  tokens: number;
  bytes: number;
  plots: { kind: CurvePlotKind; label: string; drawing: Drawing }[];
}

export interface CurvesViewProps {
  id: string;
  caption?: string;
  built?: Built;
  text: string;
  onText?: (text: string) => void;
  unit: CrossEntropyUnit;
  onUnit?: (unit: CrossEntropyUnit) => void;
  lenses: readonly string[];
  /** The model the curves are of (null while it loads). */
  modelName: string | null;
  shown: CurvesShown | null;
  /** Live only: two plots a row; at build time a container query decides (curves.css). */
  sideBySide?: boolean;
  status?: ComponentChildren;
  running?: boolean;
  placeholder?: ComponentChildren;
  frameRef?: Ref<HTMLDivElement>;
}

export function CurvesView(props: CurvesViewProps) {
  const { id, built, text, onText, unit, onUnit, lenses, modelName, shown, sideBySide = false, running = false } = props;
  const ce = crossEntropyField(unit);
  const byLens = (lens: string) => shown?.points.filter((p) => p.lens === lens) ?? [];
  const perLens = (key: string, header: string, value: (p: LayerPoint | undefined) => number | undefined) =>
    lenses.map((lens) => ({ key: `${key}-${lens}`, header: `${header}, ${LENS_LABELS[lens]}`, value: (p: LayerPoint) => fmt3(value(byLens(lens)[p.layer])) }));
  return (
    <LensFigure
      id={id}
      kind="curves"
      wide
      built={built}
      caption={`${props.caption ?? 'Each lens, layer by layer, on your text.'} ${curvesCaption(unit)}${built ? '' : ` Computed live on ${modelName ?? 'the loaded model'}.`}`}
    >
      <div class="heatmap-controls">
        <label class="heatmap-prompt">
          <span>Your text</span>
          <textarea rows={4} value={text} spellcheck={false} disabled={!onText} onInput={(e) => onText?.((e.target as HTMLTextAreaElement).value)} />
        </label>
        <div class="heatmap-settings">
          <label>
            <span>Cross-entropy in</span>
            <select value={unit} disabled={!onUnit} onChange={(e) => onUnit?.((e.target as HTMLSelectElement).value as CrossEntropyUnit)}>
              <option value="bpb" selected={unit === 'bpb'}>
                bits per byte
              </option>
              <option value="nats" selected={unit === 'nats'}>
                nats per token
              </option>
            </select>
          </label>
          {shown && (
            <span class="heatmap-range-note">
              {shown.tokens} tokens, {shown.bytes} bytes{modelName ? ` · ${modelName}` : ''}
            </span>
          )}
        </div>
      </div>

      {props.status}

      <FigureFrame shown={shown} running={running} built={!!built} frameRef={props.frameRef} placeholder={props.placeholder}>
        {(shown) => (
          <>
            <LensLegend entries={lenses.map((lens) => ({ lens, label: LENS_LABELS[lens] }))} />
            <div class={sideBySide ? 'curves-plots is-side-by-side' : 'curves-plots'} style={{ gap: `${CURVES_GAP}px` }}>
              {shown.plots.map((plot) => (
                <PlotBox key={plot.kind} drawing={plot.drawing} role="img" aria-label={plot.label} class="curves-plot" data-plot={plot.kind} />
              ))}
            </div>
            <NumbersTable
              label="The numbers, by layer"
              corner="layer"
              rows={byLens(lenses[0] ?? 'logit')}
              rowKey={(p) => p.layer}
              rowHeader={(p) => p.row}
              columns={[
                ...perLens('kl', 'KL', (p) => p?.meanKl),
                ...perLens('ce', unit === 'bpb' ? 'bits/byte' : 'nats/token', (p) => p?.[ce.y]),
                ...perLens('bias', 'bias', (p) => p?.bias),
              ]}
            />
          </>
        )}
      </FigureFrame>
    </LensFigure>
  );
}

/** What the three plots show. */
export function curvesCaption(unit: CrossEntropyUnit): string {
  const ce =
    unit === 'bpb'
      ? 'as bits per byte: Σ cross-entropy (nats) / ln 2 / UTF-8 bytes of the predicted tokens (every token but the first)'
      : 'averaged over positions';
  return `First plot: the mean D_KL(p‖q) between the model’s output p and the lens’s q, over every position. Second: the lens’s cross-entropy on the token that actually comes next, ${ce} (log scale); the dashed line is the model’s own. Third: the lens’s bias, D_KL(p̄‖q̄) between the model’s and the lens’s distributions averaged over the whole text.`;
}
