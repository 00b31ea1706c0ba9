/**
 * Merges a freshly generated results block into the one already written, so a run of some cases
 * (`npm run bench -- --T 64`, node only, no --profile) replaces those rows and leaves every other
 * result in place. bench/out/ is not kept in git, so the written markdown is the only record of
 * earlier runs: the merge works on it.
 *
 * The text is cut into blocks at blank lines; a block is known by where it stands (the `###` section,
 * the bold profile title, dates left out) and what it is:
 * - a table row is known by its first cells (runtime, threads, T, lens — or fewer in the smaller
 *   tables); a fresh row replaces the old one with that key; old rows no run touched stay;
 * - in the budget table, whose cells come from different runs, a fresh "–" (not measured) keeps the old cell;
 * - list items ("- runtime: note") are replaced per runtime; "Dates:" entries per runtime;
 * - any other block (a paragraph, a whole section) the fresh text lacks is kept where it stood.
 */

const DATE = /\d{4}-\d\d-\d\d \d\d:\d\d UTC/g;
const NOT_MEASURED = '–';

interface Block {
  key: string;
  lines: string[];
}

const cells = (row: string) =>
  row
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
const isTable = (lines: string[]) => lines.length >= 2 && lines.every((l) => l.startsWith('|'));
const isList = (lines: string[]) => lines.every((l) => l.startsWith('- '));
/** "label: text" → "label" (list items, "Dates:" entries); the whole text when there is no colon. */
const labelOf = (text: string) => text.split(':')[0].replace(DATE, '').trim();

function blocks(text: string): Block[] {
  const out: Block[] = [];
  let section = '';
  let title = '';
  let previous = '';
  for (const chunk of text.split(/\n\s*\n/)) {
    const lines = chunk.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    const first = lines[0];
    let key: string;
    if (first.startsWith('### ')) {
      section = first;
      title = '';
      key = first;
    } else if (first.startsWith('**')) {
      title = first.replace(DATE, '');
      key = `${section}\n${title}`;
    } else if (isTable(lines)) {
      key = `${section}\n${title}\n${previous}\n${first}`;
    } else if (isList(lines)) {
      key = `${section}\nlist`;
    } else {
      key = `${section}\n${title}\n${labelOf(first).slice(0, 80)}`;
    }
    previous = isTable(lines) ? previous : key;
    out.push({ key, lines });
  }
  return out;
}

function mergeTable(old: string[], fresh: string[]): string[] {
  const [header, separator] = fresh;
  const columns = cells(header);
  const keyCount = columns[2] === 'T' && columns[3] === 'lens' ? 4 : columns[0] === 'runtime' ? 2 : 1;
  const perCell = columns.includes('budget ms');
  const key = (row: string) => cells(row).slice(0, keyCount).join('|');
  const freshRows = new Map(fresh.slice(2).map((r) => [key(r), r]));
  const rows: string[] = [];
  for (const row of old.slice(2)) {
    const replacement = freshRows.get(key(row));
    freshRows.delete(key(row));
    if (replacement === undefined) rows.push(row);
    else if (!perCell) rows.push(replacement);
    else {
      const before = cells(row);
      rows.push(
        `| ${cells(replacement)
          .map((c, i) => (c === NOT_MEASURED && before[i] !== undefined ? before[i] : c))
          .join(' | ')} |`,
      );
    }
  }
  return [header, separator, ...rows, ...freshRows.values()];
}

/** Items of `fresh` replace the items of `old` with the same label (text before the first colon). */
function mergeItems(old: string[], fresh: string[]): string[] {
  const freshLabels = new Set(fresh.map(labelOf));
  const kept = old.filter((item) => !freshLabels.has(labelOf(item)));
  const seen = new Set<string>();
  const out: string[] = [];
  // Old order first (each label's items where that label stood), then labels only the fresh run has.
  for (const item of [...old, ...fresh]) {
    const label = labelOf(item);
    if (seen.has(label)) continue;
    seen.add(label);
    out.push(...(freshLabels.has(label) ? fresh.filter((f) => labelOf(f) === label) : kept.filter((k) => labelOf(k) === label)));
  }
  return out;
}

function mergeDates(old: string, fresh: string): string {
  const entries = (line: string) =>
    line.replace(/^Dates: /, '').replace(/\.$/, '') === NOT_MEASURED
      ? []
      : line
          .replace(/^Dates: /, '')
          .replace(/\.$/, '')
          .split('; ');
  const byRuntime = (entry: string) => entry.replace(DATE, '').trim();
  const merged = new Map(entries(old).map((e) => [byRuntime(e), e]));
  for (const e of entries(fresh)) merged.set(byRuntime(e), e);
  return `Dates: ${[...merged.values()].join('; ') || NOT_MEASURED}.`;
}

function mergeRuntimes(old: string, fresh: string): string {
  const items = (line: string) =>
    line
      .replace(/^Runtimes: /, '')
      .replace(/\.$/, '')
      .split(', ')
      .filter((x) => x !== NOT_MEASURED);
  const merged = [...new Set([...items(old), ...items(fresh)])];
  return `Runtimes: ${merged.join(', ') || NOT_MEASURED}.`;
}

function mergeBlock(old: Block, fresh: Block): string[] {
  if (isTable(fresh.lines) && isTable(old.lines)) return mergeTable(old.lines, fresh.lines);
  if (isList(fresh.lines) && isList(old.lines)) return mergeItems(old.lines, fresh.lines);
  return fresh.lines.map((line) => {
    const before = old.lines.find((l) => l.split(':')[0] === line.split(':')[0]);
    if (before && line.startsWith('Dates: ')) return mergeDates(before, line);
    if (before && line.startsWith('Runtimes: ')) return mergeRuntimes(before, line);
    return line;
  });
}

export function mergeReport(old: string, fresh: string): string {
  const oldBlocks = blocks(old);
  const result: Block[] = blocks(fresh).map((block) => {
    const before = oldBlocks.find((b) => b.key === block.key);
    return before ? { key: block.key, lines: mergeBlock(before, block) } : block;
  });
  // Blocks only the old text has go back after the block that preceded them there.
  let anchor = -1;
  for (const block of oldBlocks) {
    const at = result.findIndex((b) => b.key === block.key);
    if (at >= 0) anchor = at;
    else result.splice(++anchor, 0, block);
  }
  return result.map((b) => b.lines.join('\n')).join('\n\n');
}
