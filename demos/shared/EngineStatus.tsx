/** The model's state as every demo shows it: a progress bar while loading, a retry when loading failed. */
import { backendPreference, engine, type EngineState } from '../../src/engine/client.ts';
import { formatBytes } from '../../src/lens/format-bytes.ts';

export function EngineStatus({ state }: { state: EngineState }) {
  if (state.status === 'loading') {
    const { loaded, total } = state;
    return (
      <div class="engine-status" role="status">
        <span>
          Loading {state.model.label}: {formatBytes(loaded)}
          {total ? ` of ${formatBytes(total)}` : ''}
        </span>
        <progress max={total ?? undefined} value={total ? loaded : undefined} aria-label={`Loading ${state.model.label}`} />
      </div>
    );
  }
  if (state.status === 'error') {
    return (
      <div class="engine-status engine-status-error" role="alert">
        <span>
          Could not load {state.model.label}: {state.error.message}
        </span>
        <button
          type="button"
          onClick={() =>
            engine()
              .load(state.model, backendPreference())
              .catch(() => undefined)
          }
        >
          Retry
        </button>
      </div>
    );
  }
  return null;
}
