/**
 * The box a figure's Plot drawing goes in. At build time the drawing is markup (made in Node by the
 * same spec, see src/components/server-document.ts) written into the page; in the page it is an
 * element Plot has just built, put in place after render. A box given no drawing keeps the one it
 * has, so a figure's old drawing stays until the run that carries the new one is back.
 */
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** Markup drawn at build time, an element drawn in the page, or nothing new to show. */
export type Drawing = string | Element | null;

type Props = { drawing: Drawing } & Omit<JSX.HTMLAttributes<HTMLDivElement>, 'ref' | 'dangerouslySetInnerHTML'>;

export function PlotBox({ drawing, ...attributes }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (drawing && typeof drawing !== 'string') box.current?.replaceChildren(drawing);
  }, [drawing]);
  if (typeof drawing === 'string') return <div {...attributes} dangerouslySetInnerHTML={{ __html: drawing }} />;
  return <div {...attributes} ref={box} />;
}
