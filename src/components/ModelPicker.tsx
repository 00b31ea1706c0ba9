/**
 * The global model picker: which model the page's demos run on, what picking another would download
 * (sizes asked of the server before anything starts), progress while it downloads, which backend runs
 * it and why, and a retry when a download fails.
 */
import { useEffect, useState } from 'preact/hooks';
import { modelCatalog } from '../engine/catalog.ts';
import { backendPreference, engine, type EngineState } from '../engine/client.ts';
import type { FileSize, ModelEntry } from '../engine/protocol.ts';
import { formatBytes } from '../../demos/shared/format-bytes.ts';
import { isolation, ISOLATION_TEXT } from './isolation.ts';

export default function ModelPicker() {
  const [state, setState] = useState<EngineState>(() => engine().state);
  const [choice, setChoice] = useState<ModelEntry>(() => engine().state.model);
  const [sizes, setSizes] = useState<FileSize[] | null>(null);
  const catalog = modelCatalog();

  useEffect(() => engine().subscribe(setState), []);
  useEffect(() => {
    setSizes(null);
    if (choice.key === state.model.key && state.status !== 'idle') return;
    let stale = false;
    engine()
      .estimate(choice)
      .then((s) => !stale && setSizes(s))
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [choice.key, state.model.key, state.status]);

  const load = () => {
    localStorage.setItem('tuned-lens:model', choice.key);
    engine().load(choice, backendPreference()).catch(() => undefined);
  };
  const total = sizes && sizes.every((s) => s.bytes !== null) ? sizes.reduce((sum, s) => sum + s.bytes!, 0) : null;
  const current = state.model;
  const summary =
    state.status === 'ready'
      ? `${current.label} · ${state.info.backend === 'webgpu' ? 'WebGPU' : 'WASM'}`
      : state.status === 'loading'
        ? `Loading ${current.label}…`
        : state.status === 'error'
          ? `${current.label} failed to load`
          : current.label;

  return (
    <details class="model-picker">
      <summary>
        <span class="model-picker-label">Model</span> {summary}
      </summary>
      <div class="model-picker-panel">
        <fieldset>
          <legend>Run the demos on</legend>
          {catalog.map((entry) => (
            <label key={entry.key} class="model-picker-option">
              <input type="radio" name="model" value={entry.key} checked={choice.key === entry.key} onChange={() => setChoice(entry)} />
              <span>
                <strong>{entry.label}</strong>
                <br />
                <small>{entry.description}</small>
              </span>
            </label>
          ))}
        </fieldset>
        {state.status === 'ready' && choice.key === current.key && (
          <p class="model-picker-info" role="status">
            Loaded: {state.info.numLayers} layers, d<sub>model</sub> {state.info.dModel}, vocabulary {state.info.vocabSize.toLocaleString('en')}, in{' '}
            {(state.info.loadMs / 1000).toFixed(1)} s. Running on{' '}
            {state.info.backend === 'webgpu' ? 'WebGPU' : `WASM with ${state.info.threads} thread${state.info.threads === 1 ? '' : 's'}`}: {state.info.backendReason}. {ISOLATION_TEXT[isolation()]}
          </p>
        )}
        {(choice.key !== current.key || state.status === 'idle' || state.status === 'error') && (
          <div class="model-picker-download">
            <p>
              {sizes === null
                ? 'Asking the server how large the files are…'
                : sizes.map((s) => `${s.label}: ${s.bytes === null ? 'size unknown' : formatBytes(s.bytes)}`).join(' · ')}
              {total !== null && <> — {formatBytes(total)} in all{choice.cache ? ', kept in your browser’s cache for next time' : ''}.</>}
            </p>
            <button type="button" onClick={load} disabled={state.status === 'loading'}>
              {state.status === 'error' && choice.key === current.key ? 'Retry' : total !== null ? `Download and load (${formatBytes(total)})` : 'Load'}
            </button>
          </div>
        )}
        {state.status === 'loading' && (
          <div role="status">
            <progress max={state.total ?? undefined} value={state.total ? state.loaded : undefined} aria-label={`Loading ${current.label}`} />
            <small>
              {formatBytes(state.loaded)}
              {state.total ? ` of ${formatBytes(state.total)}` : ''} {state.file && `(${state.file})`}
            </small>
          </div>
        )}
        {state.status === 'error' && (
          <p class="model-picker-error" role="alert">
            {state.error.message}
          </p>
        )}
      </div>
    </details>
  );
}
