/**
 * The site chrome's behaviour, loaded once per page by BaseLayout. Everything here is an
 * enhancement: without it the theme follows the system, the sidebar sits above the chapter on
 * small screens, and the "#" anchors are plain links.
 */

const THEME_KEY = 'theme';
type Theme = 'light' | 'dark';

export function initShell(): void {
  initThemeToggle();
  initMenu();
  initAnchorCopy();
  initScrollSpy();
}

// ---- Theme --------------------------------------------------------------------------------

function currentTheme(): Theme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-theme-toggle]')) {
    button.setAttribute('aria-pressed', String(theme === 'dark'));
  }
  // Islands that draw on canvas can listen for this to repaint.
  document.dispatchEvent(new CustomEvent('themechange', { detail: { theme } }));
}

function savedTheme(): Theme | null {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

function initThemeToggle(): void {
  applyTheme(currentTheme());
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-theme-toggle]')) {
    button.addEventListener('click', () => {
      const next: Theme = currentTheme() === 'dark' ? 'light' : 'dark';
      try {
        localStorage.setItem(THEME_KEY, next);
      } catch {
        // Storage unavailable (private mode, blocked): the choice lasts for this page only.
      }
      applyTheme(next);
    });
  }
  // Follow the system while the reader has not chosen.
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', (event) => {
    if (savedTheme() === null) applyTheme(event.matches ? 'dark' : 'light');
  });
}

// ---- Menu (small screens) -----------------------------------------------------------------

function initMenu(): void {
  const button = document.querySelector<HTMLButtonElement>('[data-menu-button]');
  const sidebar = document.querySelector<HTMLElement>('[data-sidebar]');
  if (!button || !sidebar) return;
  const narrow = matchMedia('(max-width: 60rem)');
  let scrim: HTMLDivElement | null = null;

  const isOpen = () => sidebar.hasAttribute('data-open');

  const open = () => {
    sidebar.setAttribute('data-open', '');
    button.setAttribute('aria-expanded', 'true');
    scrim = document.createElement('div');
    scrim.className = 'scrim';
    scrim.addEventListener('click', () => close(false));
    document.body.append(scrim);
    const target = sidebar.querySelector<HTMLElement>('[aria-current="page"]') ?? sidebar.querySelector('a');
    target?.focus({ preventScroll: true });
  };

  const close = (returnFocus: boolean) => {
    if (!isOpen()) return;
    sidebar.removeAttribute('data-open');
    button.setAttribute('aria-expanded', 'false');
    scrim?.remove();
    scrim = null;
    if (returnFocus) button.focus();
  };

  button.addEventListener('click', () => (isOpen() ? close(true) : open()));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && isOpen()) close(true);
  });
  // Following a link in the panel closes it.
  sidebar.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a') && narrow.matches) close(false);
  });
  // Growing past the breakpoint: the sidebar is always shown, so the panel state goes.
  narrow.addEventListener('change', () => {
    if (!narrow.matches) close(false);
  });
}

// ---- Copy a section's link ----------------------------------------------------------------

let toastTimer: number | undefined;

function toast(message: string): void {
  const el = document.querySelector<HTMLElement>('[data-toast]');
  if (!el) return;
  el.textContent = message;
  el.setAttribute('data-show', '');
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => {
    el.removeAttribute('data-show');
    el.textContent = '';
  }, 2500);
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Older browsers, or clipboard permission refused: fall back to a hidden textarea.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    let ok: boolean;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

function initAnchorCopy(): void {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element).closest<HTMLAnchorElement>('a.heading-anchor, a.figure-anchor');
    if (!link) return;
    // The browser follows the link as usual (the URL gets the #id and the page scrolls);
    // we also put the full URL on the clipboard.
    const url = link.href;
    void copyText(url).then((ok) => toast(ok ? 'Link copied' : 'Link in the address bar'));
  });
}

// ---- Current section in the table of contents ---------------------------------------------

function initScrollSpy(): void {
  const links = new Map<string, HTMLAnchorElement>();
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-toc-section]')) {
    links.set(link.dataset.tocSection ?? '', link);
  }
  const headings = [...links.keys()].map((id) => document.getElementById(id)).filter((el): el is HTMLElement => el !== null);
  if (headings.length === 0) return;

  let active: HTMLAnchorElement | undefined;
  const update = () => {
    // The current section is the last heading above a line a little below the header.
    const line = parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop) || 80;
    let current: HTMLElement | undefined;
    for (const heading of headings) {
      if (heading.getBoundingClientRect().top <= line + 8) current = heading;
      else break;
    }
    const link = current ? links.get(current.id) : undefined;
    if (link === active) return;
    active?.removeAttribute('aria-current');
    link?.setAttribute('aria-current', 'location');
    active = link;
  };

  let queued = false;
  const schedule = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      update();
    });
  };
  addEventListener('scroll', schedule, { passive: true });
  addEventListener('resize', schedule, { passive: true });
  update();
}
