/**
 * The global model picker: which model the page's demos run on, what picking another would download
 * (sizes asked of the server before anything starts) and the memory it will need — with a warning,
 * never a block, when the device reports less — progress while it downloads, which backend runs it
 * and why, and a retry when a download fails.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { modelCatalog } from '../engine/catalog.ts';
import { backendPreference, engine, type EngineState } from '../engine/client.ts';
import type { FileSize, MemoryEstimate, ModelEntry } from '../engine/protocol.ts';
import { memoryShortfall } from '../lens/model/memory-estimate.ts';
import { formatBytes } from '../lens/format-bytes.ts';
import { isolation, ISOLATION_TEXT } from './isolation.ts';

export default function ModelPicker() {
  const [state, setState] = useState<EngineState>(() => engine().state);
  const [choice, setChoice] = useState<ModelEntry>(() => engine().state.model);
  const [sizes, setSizes] = useState<FileSize[] | null>(null);
  const [memory, setMemory] = useState<MemoryEstimate | null>(null);
  const catalog = modelCatalog();

  useEffect(() => engine().subscribe(setState), []);
  useEffect(() => {
    setSizes(null);
    setMemory(null);
    if (choice.key === state.model.key && state.status !== 'idle') return;
    let stale = false;
    engine()
      .estimate(choice)
      .then(({ files, memory }) => {
        if (stale) return;
        setSizes(files);
        setMemory(memory);
      })
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [choice.key, state.model.key, state.status]);

  const load = () => {
    localStorage.setItem('tuned-lens:model', choice.key);
    engine()
      .load(choice, backendPreference())
      .catch(() => undefined);
  };
  // Once per estimate: the allocation test (where it runs) is not something to repeat on every render.
  const shortfall = useMemo(() => (memory ? memoryShortfall(memory.peakBytes, deviceMemory(), () => !canAllocate(memory.peakBytes)) : null), [memory]);
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
            {state.info.backend === 'webgpu' ? 'WebGPU' : `WASM with ${state.info.threads} thread${state.info.threads === 1 ? '' : 's'}`}:{' '}
            {state.info.backendReason}. {ISOLATION_TEXT[isolation()]}
          </p>
        )}
        {(choice.key !== current.key || state.status === 'idle' || state.status === 'error') && (
          <div class="model-picker-download">
            <p>
              {sizes === null
                ? 'Asking the server how large the files are…'
                : sizes.map((s) => `${s.label}: ${s.bytes === null ? 'size unknown' : formatBytes(s.bytes)}`).join(' · ')}
              {total !== null && (
                <>
                  {' '}
                  — {formatBytes(total)} in all{choice.cache ? ', kept in your browser’s cache for next time' : ''}.
                </>
              )}
            </p>
            {memory && (
              <p class="model-picker-memory">
                Needs about {formatBytes(memory.peakBytes)} of memory while it loads: its {(memory.parameters / 1e6).toFixed(memory.parameters < 1e7 ? 1 : 0)} M
                weights are held once each as float32 ({formatBytes(memory.weightBytes)}) on WebGPU and on WASM alike; the token embedding is read from the
                downloaded file as tokens need it.
              </p>
            )}
            {memory && shortfall && (
              <p class="model-picker-warning" role="note">
                {`${capitalize(shortfall)}, less than the ${formatBytes(memory.peakBytes)} this model needs: the tab may run out of memory and close. You can still try.`}
              </p>
            )}
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

/** navigator.deviceMemory (GiB, rounded down, at most 8), where the browser reports it (Chromium does). */
function deviceMemory(): number | undefined {
  return (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
}

/**
 * Whether the browser will set `bytes` aside now, for browsers that do not report deviceMemory.
 * The buffer is never written, so the system does not back it with memory, and it is dropped at once.
 */
function canAllocate(bytes: number): boolean {
  try {
    return new ArrayBuffer(bytes).byteLength === bytes;
  } catch {
    return false;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
