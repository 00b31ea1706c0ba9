/**
 * Use a lens file from your own disk: config.json plus params.pt or params.safetensors. The files are
 * read as data only (params.pt through a pickle reader that executes nothing) and checked against the
 * loaded model; anything wrong is explained here and the page goes on with the lenses it had.
 */
import { useState } from 'preact/hooks';
import { engine } from '../../src/engine/client.ts';

export function LensUpload() {
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const onChange = async (event: Event) => {
    const input = event.target as HTMLInputElement;
    const files = Object.fromEntries([...(input.files ?? [])].map((f) => [f.name, f as Blob]));
    input.value = '';
    if (Object.keys(files).length === 0) return;
    if (!files['config.json']) {
      setMessage({ kind: 'error', text: 'Choose config.json together with params.pt or params.safetensors (select both files).' });
      return;
    }
    setBusy(true);
    const name = `uploaded ${new Date().toLocaleTimeString()}`;
    try {
      await engine().addLens(name, files);
      setMessage({ kind: 'ok', text: `Loaded the lens as “${name}”; pick it in the Lens menu.` });
    } catch (e) {
      setMessage({ kind: 'error', text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <details class="lens-upload">
      <summary>Use your own lens file…</summary>
      <label>
        <span>config.json with params.pt or params.safetensors</span>
        <input type="file" multiple accept=".json,.pt,.safetensors" onChange={onChange} disabled={busy} />
      </label>
      {message && (
        <p role={message.kind === 'error' ? 'alert' : 'status'} class={message.kind === 'error' ? 'heatmap-error' : 'heatmap-note'}>
          {message.text}
        </p>
      )}
    </details>
  );
}
