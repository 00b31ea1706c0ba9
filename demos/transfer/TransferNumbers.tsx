/** The transfer matrix as a table (keyboard and screen-reader access to every number), live and static. */
import type { LayerTransfer } from '../../src/lens/lens-model.ts';

export function TransferNumbers({ transfer }: { transfer: LayerTransfer }) {
  const L = transfer.numLayers;
  const layers = Array.from({ length: L }, (_, l) => l);
  return (
    <details class="curves-numbers">
      <summary>The numbers</summary>
      <div class="curves-table-scroll" tabIndex={0} role="group" aria-label="Mean KL to the output, by translator and hidden state">
        <table data-transfer-table>
          <thead>
            <tr>
              <th scope="col">translator i \ layer j</th>
              {layers.map((j) => (
                <th key={j} scope="col">
                  {j}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {layers.map((i) => (
              <tr key={i}>
                <th scope="row">{i}</th>
                {layers.map((j) => (
                  <td key={j} class={i === j ? 'transfer-diagonal' : undefined}>
                    {transfer.kl[i * L + j].toFixed(3)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
