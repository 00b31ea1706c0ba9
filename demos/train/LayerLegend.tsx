/** The curves' legend, outside the plot: a swatch in each layer's line colour (train-plot.ts) and its name. */
import { layerColor } from './train-plot.ts';

export function LayerLegend({ numLayers }: { numLayers: number }) {
  const colorOf = layerColor(numLayers);
  return (
    <ul class="train-legend" aria-label="Layers">
      {Array.from({ length: numLayers }, (_, l) => (
        <li key={l}>
          <span class="train-swatch" style={{ background: colorOf(l) }} aria-hidden="true" />
          layer {l}
        </li>
      ))}
    </ul>
  );
}
