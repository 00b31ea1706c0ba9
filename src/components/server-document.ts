/**
 * A DOM for Observable Plot at build time (linkedom), so a static figure is drawn by the very Plot spec
 * its live island uses and written into the page as SVG markup.
 *
 * Plot paints a continuous legend's colour ramp on a 256 × 1 canvas and embeds it as an image; Node
 * has no canvas, so `createElement('canvas')` here returns a stand-in that records the colours Plot
 * fills and hands them back as an SVG gradient (a data URL), which the browser stretches the same way.
 */
import { parseHTML } from 'linkedom';

let shared: Document | undefined;

/** One document for the whole build; Plot only creates detached elements in it. */
export function serverDocument(): Document {
  if (!shared) {
    const { document } = parseHTML('<!doctype html><html><head></head><body></body></html>');
    const createElement = document.createElement.bind(document);
    document.createElement = ((name: string, options?: ElementCreationOptions) =>
      name.toLowerCase() === 'canvas' ? new RampCanvas() : createElement(name, options)) as typeof document.createElement;
    shared = document as unknown as Document;
  }
  return shared;
}

/** The markup of an element Plot built (an `<svg>`, or a `<figure>` when Plot adds a legend or title). */
export function markup(element: Element): string {
  return element.outerHTML;
}

/** Just enough of a 2D canvas for Plot's colour ramp: fillStyle + fillRect on a one-pixel-high strip. */
class RampCanvas {
  width = 0;
  height = 0;
  private readonly fills: string[] = [];

  getContext(): { fillStyle: string; fillRect(x: number): void } {
    const fills = this.fills;
    return {
      fillStyle: '',
      fillRect(x: number) {
        fills[x] = this.fillStyle;
      },
    };
  }

  /** The strip as a horizontal SVG gradient; every 8th pixel is plenty for a smooth scheme. */
  toDataURL(): string {
    const n = this.fills.length;
    const stops = this.fills
      .map((color, i) => ({ color, i }))
      .filter(({ i }) => i % 8 === 0 || i === n - 1)
      .map(({ color, i }) => `<stop offset="${n > 1 ? (i / (n - 1)).toFixed(4) : 0}" stop-color="${color}"/>`)
      .join('');
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${n}" height="1" viewBox="0 0 ${n} 1" preserveAspectRatio="none">` +
      `<defs><linearGradient id="g">${stops}</linearGradient></defs><rect width="${n}" height="1" fill="url(#g)"/></svg>`;
    return `data:image/svg+xml,${encodeURIComponent(svg)}`;
  }
}

/**
 * A drawing for a figure drawn at build time, which has no measured width: made at a laptop's and a
 * phone's frame width, both in the page, and shared/figure.css shows the one that fits its frame.
 */
export function markupAtWidths(draw: (options: { width: number; document: Document }) => Element, wide: number, narrow: number): string {
  const document = serverDocument();
  return (
    `<div class="static-plot-wide">${markup(draw({ width: wide, document }))}</div>` +
    `<div class="static-plot-narrow">${markup(draw({ width: narrow, document }))}</div>`
  );
}
