/** The legend of a figure's curves: a line swatch in each lens's colour (--lens-<name>) and its name. */
export function LensLegend({ entries, label = 'Lenses' }: { entries: readonly { lens: string; label: string }[]; label?: string }) {
  return (
    <ul class="curves-legend" aria-label={label}>
      {entries.map(({ lens, label }) => (
        <li key={lens} class={`lens-${lens}`}>
          <span class="curves-swatch" aria-hidden="true" />
          {label}
        </li>
      ))}
    </ul>
  );
}
