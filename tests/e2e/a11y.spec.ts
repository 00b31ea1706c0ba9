/**
 * Accessibility as axe-core checks it: every chapter and the demos index, on a laptop and on a phone,
 * once every live figure has drawn — and every chapter as a reader without JavaScript gets it, with the
 * static figures — has no serious or critical violation.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { chapterPaths } from './figures.ts';

const CHAPTERS = ['/', '/logit-lens/', '/affine-adapters/', '/logit-vs-tuned/', '/model-or-lens/', '/training/', '/reference/'];
const PAGES = [...CHAPTERS, '/demos/'];

const WIDTHS = [
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

/**
 * Waits until every live figure has replaced its static stand-in (LiveFigure.astro marks its wrapper
 * `data-state="live"`) and every other island has hydrated and drawn its chart.
 */
async function waitForLiveFigures(page: Page): Promise<void> {
  const islands = page.locator('astro-island');
  for (let i = 0; i < (await islands.count()); i++) await islands.nth(i).evaluate((e) => e.scrollIntoView());
  await expect(page.locator('astro-island[ssr]')).toHaveCount(0, { timeout: 20_000 });
  await expect(page.locator('[data-live-figure]:not([data-state="live"])')).toHaveCount(0, { timeout: 60_000 });
  const charts = page.locator('.figure [data-plot]');
  for (let i = 0; i < (await charts.count()); i++) await expect(charts.nth(i).locator('svg')).toBeVisible({ timeout: 20_000 });
}

/** axe's serious and critical findings on the page as it is now, one line per rule and element. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.impact} ${v.id} (${v.help}): ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1).join(' ').trim()}`));
}

test('these checks cover every chapter the table of contents lists', async ({ page }) => {
  expect(await chapterPaths(page)).toEqual(CHAPTERS);
});

for (const size of WIDTHS) {
  test.describe(`on a ${size.name} (${size.width} px wide), once the live figures have drawn`, () => {
    test.use({ viewport: { width: size.width, height: size.height } });

    for (const path of PAGES) {
      test(`axe finds no serious or critical violation on ${path}`, async ({ page }) => {
        test.setTimeout(180_000);
        await page.goto(path);
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        await waitForLiveFigures(page);
        expect(await seriousViolations(page)).toEqual([]);
      });
    }
  });
}

test.describe('without JavaScript, with the static figures', () => {
  // axe runs as a script in the page, so the page keeps JavaScript but its own scripts are taken out:
  // what is left is what a reader without JavaScript gets (the site has no <noscript> content).
  test.beforeEach(async ({ page }) => {
    await page.route(
      (url) => !/\.[a-z0-9]+$/i.test(url.pathname),
      async (route) => {
        const response = await route.fetch();
        const html = (await response.text()).replace(/<script\b[\s\S]*?<\/script>/gi, '');
        await route.fulfill({ response, body: html });
      },
    );
  });

  for (const path of CHAPTERS) {
    test(`axe finds no serious or critical violation on ${path}`, async ({ page }) => {
      test.setTimeout(120_000);
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      await expect(page.locator('[data-live-figure] > astro-island > *')).toHaveCount(0);
      expect(await seriousViolations(page)).toEqual([]);
    });
  }
});
