/**
 * The curves' numbers: every logged step's mean and per-layer KL, as a table a screen reader (or a
 * reader who wants the digits) can read. Rendered only while open, so long runs cost nothing.
 */
import { useState } from 'preact/hooks';
import type { TrainProgress } from '../../src/engine/protocol.ts';
import { fmtNats } from './train-format.ts';

export function LossTable({ history, numLayers }: { history: readonly TrainProgress[]; numLayers: number }) {
  const [open, setOpen] = useState(false);
  const layers = Array.from({ length: numLayers }, (_, l) => l);
  return (
    <details class="train-numbers" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>The numbers, step by step</summary>
      {open && (
        <div class="train-table-scroll">
          <table>
            <caption class="visually-hidden">KL(output ‖ lens) in nats after each step, mean and per layer</caption>
            <thead>
              <tr>
                <th scope="col">step</th>
                <th scope="col">mean KL</th>
                {layers.map((l) => (
                  <th scope="col" key={l}>
                    layer {l}
                  </th>
                ))}
                <th scope="col">tokens/s</th>
              </tr>
            </thead>
            <tbody>
              {history.map((p) => (
                <tr key={p.step}>
                  <th scope="row">{p.step}</th>
                  <td>{fmtNats(p.meanLoss)}</td>
                  {p.lossPerLayer.map((loss, l) => (
                    <td key={l}>{fmtNats(loss)}</td>
                  ))}
                  <td>{Math.round(p.tokensPerSecond).toLocaleString('en-US')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}
