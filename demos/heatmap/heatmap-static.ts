/**
 * What the build-time (static) figures share: the widths they are drawn at — the live islands measure
 * their frame, a static figure has to assume one — and the words that say where the figure came from.
 */

/** A figure's frame on a laptop: the text measure (42rem, 672px) less the figure's padding and border. */
export const STATIC_FRAME_WIDTH = 638;

/** A wide figure's frame (.lens-figure-wide) on a laptop, 1280px wide. */
export const STATIC_WIDE_FRAME_WIDTH = 863;

/** A figure's frame on a phone, 390px wide (curves.css shows drawings at this width below a 520px frame). */
export const STATIC_NARROW_FRAME_WIDTH = 316;

export function lensLabel(lens: string, capitalised = false): string {
  const label = lens === 'tuned' ? 'tuned lens' : lens === 'logit' ? 'logit lens' : lens;
  return capitalised ? label.charAt(0).toUpperCase() + label.slice(1) : label;
}

/**
 * The caption's last sentence on a static figure. `doing` says what the model did, where its name alone
 * does not (", training a lens for …"); `then`, what the live figure offers in its place.
 */
export function staticNote(modelName: string, { doing = '', then = 'the live figure takes its place' } = {}): string {
  return `Drawn when this page was built, by the embedded model ${modelName}${doing}; with JavaScript on, ${then} once the model has loaded in your browser.`;
}
