/**
 * Path routing with the History API: every page has a real URL (shareable, back and forward
 * work), served by the SPA fallback. Leaving a page aborts its signal, which stops its refreshes
 * and long polls.
 */

export interface ViewContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Aborted when the page is left. */
  readonly signal: AbortSignal;
}

export type View = (ctx: ViewContext) => Node;

export interface Route {
  readonly pattern: string;
  readonly view: View;
}

interface Compiled {
  readonly regex: RegExp;
  readonly names: string[];
  readonly view: View;
}

export class Router {
  private readonly routes: Compiled[];
  private current?: AbortController;

  constructor(
    routes: readonly Route[],
    private readonly notFound: View,
    /** Where / leads. */
    private readonly home: string,
    private readonly mount: (page: Node) => void,
  ) {
    this.routes = routes.map((r) => {
      const names: string[] = [];
      const source = r.pattern.replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      return { regex: new RegExp(`^${source}/?$`), names, view: r.view };
    });
    window.addEventListener('popstate', () => this.render());
    // Same-origin links move within the app; modified clicks (new tab) stay the browser's.
    document.addEventListener('click', (e) => {
      const a = (e.target as Element | null)?.closest?.('a');
      if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      if (a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
      if (a.pathname.startsWith('/v1/')) return;
      // A link within the page (#usage) is the browser's to follow.
      if (a.hash && a.pathname === location.pathname && a.search === location.search) return;
      e.preventDefault();
      this.go(a.pathname + a.search);
    });
  }

  go(path: string, replace = false): void {
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    this.render();
  }

  /** Render the page of the current URL again (after sign-in, or when the route's data changed). */
  render(): void {
    this.stop();
    if (location.pathname === '/') history.replaceState(null, '', this.home);
    const controller = new AbortController();
    this.current = controller;
    for (const r of this.routes) {
      const m = r.regex.exec(location.pathname);
      if (!m) continue;
      const params = Object.fromEntries(r.names.map((n, i) => [n, safeDecode(m[i + 1]!)]));
      this.mount(r.view({ params, query: new URLSearchParams(location.search), signal: controller.signal }));
      return;
    }
    this.mount(this.notFound({ params: {}, query: new URLSearchParams(location.search), signal: controller.signal }));
  }

  /** Leave the current page: its refreshes and long polls stop. */
  stop(): void {
    this.current?.abort();
    this.current = undefined;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The one router of the page, set by main.ts. */
let router: Router | undefined;
export const useRouter = (r: Router) => (router = r);
export const navigate = (path: string, replace = false) => router?.go(path, replace);
