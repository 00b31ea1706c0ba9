/**
 * The site shell as a reader meets it: the first chapter at `/`, its table of contents, math,
 * section links, theme, the phone menu, and the headers WASM threads need.
 */
import { expect, test, type Page } from '@playwright/test';
import { watchForErrors } from './watch-errors.ts';

const sidebar = (page: Page) => page.getByRole('complementary', { name: 'Table of contents' });

test.describe('a chapter page', () => {
  test('opens on the first chapter with its table of contents and no console errors', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1, name: 'Peeking inside' })).toBeVisible();
    await expect(page).toHaveTitle(/Peeking inside/);

    const toc = sidebar(page);
    await expect(toc).toBeVisible();
    const current = toc.getByRole('link', { name: /Peeking inside/ });
    await expect(current).toHaveAttribute('aria-current', 'page');
    // The current chapter's sections are listed and point at headings on the page.
    const sections = toc.getByRole('list', { name: 'Sections of Peeking inside' });
    await expect(sections.getByRole('link', { name: 'The logit lens', exact: true })).toHaveAttribute('href', '#the-logit-lens');
    await expect(sections.getByRole('link', { name: 'The tuned lens', exact: true })).toBeVisible();
    await expect(page.locator('#the-tuned-lens')).toHaveText('The tuned lens');

    await expect(page.getByRole('main')).toBeVisible();
    await expect(page.getByRole('banner')).toBeVisible();
    await expect(page.getByRole('contentinfo')).toBeVisible();
    await page.waitForLoadState('networkidle');
    expect(errors).toEqual([]);
  });

  test('is also served at its own address, pointing search engines at /', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto('/peeking-inside/');
    await expect(page.getByRole('heading', { level: 1, name: 'Peeking inside' })).toBeVisible();
    await expect(page.locator('link[rel="canonical"]')).toHaveAttribute('href', '/');
    await page.waitForLoadState('networkidle');
    expect(errors).toEqual([]);
  });

  test('renders the math with KaTeX', async ({ page }) => {
    await page.goto('/');
    await expect(page.locator('.katex').first()).toBeVisible();
    const display = page.locator('.katex-display').first();
    await expect(display).toBeVisible();
    // KaTeX's stylesheet is loaded: the MathML copy is visually hidden, the HTML copy is shown.
    await expect(display.locator('.katex-mathml')).toHaveCSS('position', 'absolute');
    await page.evaluate(() => document.fonts.ready);
    expect(await page.evaluate(() => document.fonts.check('16px KaTeX_Main'))).toBe(true);
  });

  test('every section heading has a link to itself that copies its URL', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto('/');

    // Every h2/h3 has an id and exactly one "#" link to it.
    const problems = await page.locator('.prose :is(h2, h3)').evaluateAll((headings) =>
      headings
        .map((h) => {
          if (!h.id) return `"${h.textContent}" has no id`;
          const links = document.querySelectorAll(`a.heading-anchor[href="#${CSS.escape(h.id)}"]`);
          return links.length === 1 ? null : `"${h.textContent}" has ${links.length} anchors`;
        })
        .filter((p) => p !== null),
    );
    expect(problems).toEqual([]);
    expect(await page.locator('.prose :is(h2, h3)').count()).toBeGreaterThan(4);

    const heading = page.getByRole('heading', { name: 'The logit lens', exact: true });
    const anchor = page.getByRole('link', { name: 'Link to section: The logit lens' });
    await heading.hover();
    await expect(anchor).toHaveCSS('opacity', '1');
    await anchor.click();
    await expect(page.getByRole('status').and(page.locator('[data-toast]'))).toHaveText('Link copied');
    await expect(page).toHaveURL(/\/#the-logit-lens$/);
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(page.url());
    await expect(heading).toBeInViewport();
  });

  test('a section link can be reached and followed with the keyboard', async ({ page }) => {
    await page.goto('/');
    const anchor = page.getByRole('link', { name: 'Link to section: The tuned lens' });
    await anchor.focus();
    await expect(anchor).toBeFocused();
    await expect(anchor).toHaveCSS('opacity', '1');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/#the-tuned-lens$/);
  });

  test('the skip link is the first stop and jumps to the chapter', async ({ page }) => {
    await page.goto('/');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('main')).toBeFocused();
  });

  test('citations and footnotes link to the references and notes', async ({ page }) => {
    await page.goto('/');
    await page.getByRole('link', { name: 'Belrose et al., 2023' }).first().click();
    await expect(page).toHaveURL(/#ref-belrose2023$/);
    const reference = page.locator('#ref-belrose2023');
    await expect(reference).toBeInViewport();
    await expect(reference).toContainText('Eliciting Latent Predictions from Transformers with the Tuned Lens');
    await expect(reference).toContainText('arXiv:2303.08112');

    const footnoteRef = page.locator('.prose sup a[data-footnote-ref]').first();
    await footnoteRef.click();
    const target = decodeURIComponent(new URL(page.url()).hash.slice(1));
    expect(target).toMatch(/fn-/);
    await expect(page.locator(`[id="${target}"]`)).toBeInViewport();
    await expect(page.getByRole('heading', { name: 'Notes', exact: true })).toBeVisible();
  });

  test('previous and next links connect the chapters in order', async ({ page }) => {
    await page.goto('/');
    const hrefs = await sidebar(page)
      .locator('.toc-chapter > a')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs[0]).toBe('/');
    for (let i = 0; i < hrefs.length; i++) {
      await page.goto(hrefs[i]);
      const pager = page.getByRole('navigation', { name: 'Previous and next chapters' });
      await expect(pager).toBeVisible();
      const previous = pager.locator('a[rel="prev"]');
      const next = pager.locator('a[rel="next"]');
      if (i > 0) await expect(previous).toHaveAttribute('href', hrefs[i - 1]);
      else await expect(previous).toHaveCount(0);
      if (i < hrefs.length - 1) await expect(next).toHaveAttribute('href', hrefs[i + 1]);
      else await expect(next).toHaveCount(0);
    }
  });
});

test.describe('theme', () => {
  test('follows the system when the reader has not chosen', async ({ page }) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  });

  test('the toggle switches to dark and the choice survives a reload', async ({ page }) => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto('/');
    const html = page.locator('html');
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    await expect(html).toHaveAttribute('data-theme', 'light');
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    const lightBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);

    await toggle.click();
    await expect(html).toHaveAttribute('data-theme', 'dark');
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    const darkBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(darkBackground).not.toBe(lightBackground);

    await page.reload();
    await expect(html).toHaveAttribute('data-theme', 'dark');
    await expect(page.getByRole('button', { name: 'Dark theme' })).toHaveAttribute('aria-pressed', 'true');
    expect(await page.evaluate(() => localStorage.getItem('theme'))).toBe('dark');

    await page.getByRole('button', { name: 'Dark theme' }).click();
    await expect(html).toHaveAttribute('data-theme', 'light');
  });
});

test.describe('serving', () => {
  test('pages and assets are cross-origin isolated (COOP/COEP) for WASM threads', async ({ page }) => {
    const assetHeaders: Record<string, string>[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/_astro/')) assetHeaders.push(response.headers());
    });
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe('function');

    await page.waitForLoadState('networkidle');
    expect(assetHeaders.length).toBeGreaterThan(0);
    for (const h of assetHeaders) {
      expect(h['cross-origin-embedder-policy']).toBe('require-corp');
      expect(h['cross-origin-resource-policy']).toBe('same-origin');
    }
  });
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

  test('the contents sit behind a menu button', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto('/');
    const menu = page.getByRole('button', { name: 'Contents' });
    await expect(menu).toBeVisible();
    await expect(menu).toHaveAttribute('aria-expanded', 'false');
    await expect(sidebar(page)).toBeHidden();

    await menu.click();
    await expect(menu).toHaveAttribute('aria-expanded', 'true');
    await expect(sidebar(page)).toBeVisible();
    await expect(sidebar(page).getByRole('link', { name: /Peeking inside/ })).toBeFocused();

    await page.keyboard.press('Escape');
    await expect(sidebar(page)).toBeHidden();
    await expect(menu).toBeFocused();

    // Following a section link closes the panel and goes there.
    await menu.click();
    await sidebar(page).getByRole('link', { name: 'The tuned lens', exact: true }).click();
    await expect(sidebar(page)).toBeHidden();
    await expect(page).toHaveURL(/#the-tuned-lens$/);
    await expect(page.getByRole('heading', { name: 'The tuned lens', exact: true })).toBeInViewport();

    // Nothing is wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
  });

  test('the model picker opens within the screen, every model in reach', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto('/');
    await page.locator('.model-picker summary').click();
    const panel = await page.locator('.model-picker-panel').boundingBox();
    expect(panel!.x).toBeGreaterThanOrEqual(0);
    expect(panel!.x + panel!.width).toBeLessThanOrEqual(390);
    for (const radio of await page.getByRole('radio').all()) await expect(radio).toBeInViewport();
    await page.getByRole('radio', { name: /GPT-2 small/ }).check();
    await expect(page.getByRole('radio', { name: /GPT-2 small/ })).toBeChecked();
    expect(errors).toEqual([]);
  });
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });

  test('the page is complete: contents inline, anchors are plain links', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1, name: 'Peeking inside' })).toBeVisible();
    await expect(sidebar(page)).toBeVisible();
    await expect(page.getByRole('button', { name: 'Contents' })).toBeHidden();
    await expect(page.getByRole('button', { name: 'Dark theme' })).toBeHidden();
    await page.getByRole('link', { name: 'Link to section: The logit lens' }).focus();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/#the-logit-lens$/);
  });
});
