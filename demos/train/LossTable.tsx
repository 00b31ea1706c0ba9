/**
 * The curves' numbers: every logged step's mean and per-layer KL, as a table a screen reader (or a
 * reader who wants the digits) can read. The island renders it only while open, so long runs cost
 * nothing; the figure drawn at build time (TrainFigure.astro) has it in the page from the start, since without
 * JavaScript nothing could render it later.
 */
import { useState } from 'preact/hooks';
import type { TrainProgress } from '../../src/engine/protocol.ts';
import { fmtNats } from './train-format.ts';

export interface LossTableProps {
  history: readonly TrainProgress[];
  numLayers: number;
  /** Render the table only while open (the island). */
  lazy?: boolean;
  /** The tokens/s column: the reader's machine in the island; a build machine's speed is nothing to show. */
  speed?: boolean;
}

export function LossTable({ history, numLayers, lazy = true, speed = true }: LossTableProps) {
  const [open, setOpen] = useState(false);
  const layers = Array.from({ length: numLayers }, (_, l) => l);
  return (
    <details class="train-numbers" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>The numbers, step by step</summary>
      {(open || !lazy) && (
        <div class="train-table-scroll" tabIndex={0} role="group" aria-label="The numbers, step by step (scrolls)">
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
                {speed && <th scope="col">tokens/s</th>}
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
                  {speed && <td>{Math.round(p.tokensPerSecond).toLocaleString('en-US')}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}
