import { useEffect, useState } from 'preact/hooks';

export type Route = 'signin' | 'explore' | 'saved' | 'apps' | 'operator' | 'keys';

/** `/` and `/ui/` open Explore; the server serves the same page at every one of these paths. */
export function routeOf(pathname: string): Route {
  const p = pathname.replace(/\/+$/, '');
  if (p === '/saved') return 'saved';
  if (p === '/apps') return 'apps';
  if (p === '/operator') return 'operator';
  if (p === '/keys') return 'keys';
  return 'explore';
}

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current location, re-rendered on back/forward and on navigate(). */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const [loc, setLoc] = useState(() => ({ pathname: location.pathname, search: location.search }));
  useEffect(() => {
    const on = () => setLoc({ pathname: location.pathname, search: location.search });
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return { pathname: loc.pathname, search: new URLSearchParams(loc.search) };
}
