/**
 * docs/screenshot.png, the README's picture: the seed heatmap on the first chapter, computed live on the
 * embedded model in Debian's Chromium, under its section's heading, with the output cell of the second copy's last prediction pinned
 * so its readout shows what the model copies. Against a built site that is already served:
 *
 *   npx astro build && npx astro preview --port 4401 &
 *   npx tsx scripts/readme-screenshot.ts http://localhost:4401/
 */
import { chromium } from '@playwright/test';

const url = process.argv[2] ?? 'http://localhost:4321/';
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(new URL('#fig-seed-heatmap', url).href);
  const figure = page.locator('#fig-seed-heatmap');
  const cells = figure.getByRole('grid').getByRole('gridcell');
  await cells.first().waitFor({ timeout: 120_000 });
  // The first row is "output"; its second-to-last cell predicts the second copy's last token.
  const count = await cells.count();
  const rows = await figure.getByRole('grid').getByRole('row').count();
  await cells.nth(count / rows - 2).click();
  await figure.getByRole('group', { name: 'Cell details' }).waitFor();
  await figure.scrollIntoViewIfNeeded();
  // From the section's heading, so that the header (translucent) has only the page's margin under it,
  // not a line of prose cut in half.
  await page.evaluate(() => document.querySelector('#reading-a-lens')?.scrollIntoView({ block: 'start', behavior: 'instant' }));
  await page.screenshot({ path: 'docs/screenshot.png' });
  console.log('wrote docs/screenshot.png');
} finally {
  await browser.close();
}
