/**
 * The paper's GPT-2 bits per byte by layer (quoted, not computed: paper-numbers.ts), drawn with the
 * same spec as the live curves. The figure around it (PaperTable.astro) holds the numbers as a table,
 * which is what a reader without JavaScript sees.
 */
import { useEffect, useRef } from 'preact/hooks';
import { layerCurvePlot, LENS_LABELS } from './curves-plot.ts';
import { useWidth } from '../shared/island-hooks.ts';
import { paperPoints, PAPER_SOURCE } from './paper-numbers.ts';
import { LensLegend } from '../shared/LensLegend.tsx';
import '../shared/figure.css';
import './curves.css';

export default function PaperCurves() {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box, 0);

  useEffect(() => {
    if (!box.current || width === 0) return;
    box.current.replaceChildren(
      layerCurvePlot(paperPoints(), {
        y: 'bitsPerByte',
        yLabel: 'bits per byte (quoted)',
        yType: 'log',
        width: Math.min(width, 640),
        format: (v) => v.toFixed(2),
      }),
    );
  }, [width]);

  return (
    <div class="paper-curves">
      <LensLegend entries={(['logit', 'tuned'] as const).map((lens) => ({ lens, label: LENS_LABELS[lens] }))} />
      <div
        ref={box}
        role="img"
        aria-label={`Bits per byte by layer for the logit lens and the tuned lens, numbers quoted from ${PAPER_SOURCE}`}
        class="curves-plot"
        data-plot="paper"
      />
    </div>
  );
}
