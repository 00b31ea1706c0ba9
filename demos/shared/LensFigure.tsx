/**
 * A figure's frame and caption, one markup for its two renderings: live in the page, and drawn at
 * build time (`built`), where it is the `data-static-figure` that LiveFigure.astro shows until the
 * island has drawn. The caption ends with a copy-link button live, and with where the drawing came
 * from at build time.
 */
import type { ComponentChildren } from 'preact';
import { CopyLink } from './CopyLink.tsx';

/** What every figure is given by the chapter that places it. */
export interface FigureProps {
  /** The figure's anchor and URL key; unique on the page. */
  id: string;
  caption?: string;
}

/** What a figure drawn at build time says of itself (staticNote in heatmap-static.ts). */
export interface Built {
  note: string;
}

interface Props {
  id: string;
  /** The figure's kind ("compare", "curves", …): a class, and `<kind>-static` at build time. */
  kind?: string;
  wide?: boolean;
  built?: Built;
  /** The caption's sentences. */
  caption: ComponentChildren;
  /** Live only: the link the copy button copies (the page's URL by default). */
  shareUrl?: () => string;
  /** Live only: whether the caption ends with the copy-link button. */
  share?: boolean;
  children: ComponentChildren;
  /** Anything after the caption (the heatmap's lens upload). */
  after?: ComponentChildren;
}

export function LensFigure({ id, kind, wide = false, built, caption, shareUrl, share = true, children, after }: Props) {
  const classes = [built ? 'heatmap-static' : 'heatmap', kind, built && kind && `${kind}-static`, wide && 'lens-figure-wide'].filter(Boolean).join(' ');
  const captionId = built ? `${id}-static-caption` : `${id}-caption`;
  return (
    <figure class={classes} id={id} data-static-figure={built ? '' : undefined} aria-labelledby={captionId}>
      {children}
      <figcaption id={captionId}>
        <a class="heatmap-anchor" href={`#${id}`} aria-label="Link to this figure">
          #
        </a>{' '}
        {caption}
        {built ? (
          <>
            {' '}
            <span class="heatmap-static-note">{built.note}</span>
          </>
        ) : (
          share && (
            <>
              {' '}
              <CopyLink id={id} url={shareUrl} />
            </>
          )
        )}
      </figcaption>
      {after}
    </figure>
  );
}
