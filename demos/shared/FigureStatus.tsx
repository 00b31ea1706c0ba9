/**
 * A live figure's status lines above its frame — the engine's state, a note (a lens the model lacks),
 * anything the figure adds, and the last run's error — and the placeholder its frame shows before the
 * first drawing.
 */
import type { ComponentChildren } from 'preact';
import type { EngineState } from '../../src/engine/client.ts';
import { EngineStatus } from './EngineStatus.tsx';

interface Props {
  engineState: EngineState;
  note?: ComponentChildren;
  error: string | null;
  /** The error's id, for the field it describes. */
  errorId?: string;
  children?: ComponentChildren;
}

export function FigureStatus({ engineState, note, error, errorId, children }: Props) {
  return (
    <>
      <EngineStatus state={engineState} />
      {note && (
        <p class="heatmap-note" role="status">
          {note}
        </p>
      )}
      {children}
      {error && (
        <p class="heatmap-error" role="alert" id={errorId}>
          {error}
        </p>
      )}
    </>
  );
}

/** What the frame says before the first drawing; nothing once an error says more. */
export function Placeholder({ engineState, error, children }: { engineState: EngineState; error: string | null; children: ComponentChildren }) {
  return !error && engineState.status !== 'error' ? <p class="heatmap-placeholder">{children}</p> : null;
}
