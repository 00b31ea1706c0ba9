/**
 * Where a figure draws: what there is to show, else the placeholder (the model loading, an error).
 * Dimmed while a run is under way, and busy for assistive technology then; a frame drawn at build
 * time is never busy. Its width is what an island measures to draw at (`frameRef`).
 */
import type { ComponentChildren, Ref } from 'preact';

interface Props<S> {
  shown: S | null | undefined;
  running?: boolean;
  built?: boolean;
  frameRef?: Ref<HTMLDivElement>;
  placeholder?: ComponentChildren;
  children: (shown: S) => ComponentChildren;
}

export function FigureFrame<S>({ shown, running = false, built = false, frameRef, placeholder, children }: Props<S>) {
  return (
    <div class={running ? 'heatmap-frame is-running' : 'heatmap-frame'} ref={frameRef} aria-busy={built ? undefined : running}>
      {shown ? children(shown) : placeholder}
    </div>
  );
}
