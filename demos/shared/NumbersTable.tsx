/**
 * "The numbers": a figure's values as a table under a disclosure, what a reader without JavaScript
 * or with a screen reader reads instead of the drawing. One row per `rows` entry, headed by
 * `rowHeader`, one column per `columns` entry.
 */
import type { ComponentChildren } from 'preact';

export interface NumbersColumn<R> {
  key: string;
  header: ComponentChildren;
  value: (row: R) => ComponentChildren;
}

interface Props<R> {
  /** The scroll region's accessible name, e.g. "The numbers, by layer". */
  label: string;
  /** The head of the row headers' column. */
  corner: string;
  rows: readonly R[];
  rowKey: (row: R) => string | number;
  rowHeader: (row: R) => ComponentChildren;
  columns: readonly NumbersColumn<R>[];
}

export function NumbersTable<R>({ label, corner, rows, rowKey, rowHeader, columns }: Props<R>) {
  return (
    <details class="curves-numbers">
      <summary>The numbers</summary>
      <div class="curves-table-scroll" tabIndex={0} role="group" aria-label={label}>
        <table>
          <thead>
            <tr>
              <th scope="col">{corner}</th>
              {columns.map((c) => (
                <th scope="col" key={c.key}>
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={rowKey(row)}>
                <th scope="row">{rowHeader(row)}</th>
                {columns.map((c) => (
                  <td key={c.key}>{c.value(row)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

/** A value to three decimals, or a dash where there is none. */
export function fmt3(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(3);
}
