import { useEffect, useState } from 'preact/hooks';
import { ExplorePage } from './explore/explore-page.js';
import { KEY_REFUSED } from './api/client.js';
import type { Problem } from './api/types.js';
import { AppsPage } from './pages/apps-page.js';
import { KeysNeedOwner, KeysPage } from './pages/keys-page.js';
import { OperatorPage } from './pages/operator-page.js';
import { SavedPage } from './pages/saved-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { Forbidden } from './components/problem.js';
import { navigate, routeOf, useLocation, type Route } from './router.js';
import { apiKey, forgetKey, rememberKey } from './session/key.js';
import { probeAccess, type Access } from './session/permissions.js';

const NAV: { route: Route; href: string; label: string; needs: keyof Access['denied'] }[] = [
  { route: 'explore', href: '/explore', label: 'Explore', needs: 'explore' },
  { route: 'saved', href: '/saved', label: 'Saved reports', needs: 'saved' },
  { route: 'apps', href: '/apps', label: 'App runs', needs: 'apps' },
  { route: 'operator', href: '/operator', label: 'Operator', needs: 'operator' },
  { route: 'keys', href: '/keys', label: 'Keys', needs: 'keys' },
];

export function App() {
  const loc = useLocation();
  const [access, setAccess] = useState<Access | null>(null);
  const [key, setKey] = useState<string | null>(apiKey);
  // Why the tab was signed out, shown on the sign-in page (the key was revoked meanwhile).
  const [refused, setRefused] = useState<Problem | null>(null);

  // A key kept from earlier in this tab is re-checked on load (it may have been revoked).
  useEffect(() => {
    if (!key || access) return;
    void probeAccess(key).then((res) => {
      if (res.ok) setAccess(res.access);
      else {
        forgetKey();
        setKey(null);
        if (res.problem.status === 401) setRefused(res.problem);
      }
    });
  }, [key]);

  useEffect(() => {
    const on = (e: Event) => {
      forgetKey();
      setKey(null);
      setAccess(null);
      setRefused((e as CustomEvent<Problem>).detail);
    };
    addEventListener(KEY_REFUSED, on);
    return () => removeEventListener(KEY_REFUSED, on);
  }, []);

  const route = routeOf(loc.pathname);
  // Each page names itself in the tab's title (what a screen reader announces on a page change).
  useEffect(() => {
    document.title = `${key ? NAV.find((n) => n.route === route)!.label : 'Sign in'} · Factline`;
  }, [key, route]);

  if (!key) {
    return <SignInPage refused={refused} onSignedIn={(k, a) => { rememberKey(k); setKey(k); setAccess(a); setRefused(null); }} />;
  }
  if (!access) return <main id="main" class="loading" aria-busy="true">Checking your key…</main>;

  const signOut = () => {
    forgetKey();
    setKey(null);
    setAccess(null);
  };
  const denied = access.denied[NAV.find((n) => n.route === route)!.needs];
  const first = NAV.find((n) => !access.denied[n.needs]);

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Factline</span>
        <nav aria-label="Pages">
          {NAV.filter((n) => !access.denied[n.needs]).map((n) => (
            <a key={n.route} href={n.href} aria-current={n.route === route ? 'page' : undefined}
              onClick={(e) => { e.preventDefault(); navigate(n.href); }}>
              {n.label}
            </a>
          ))}
        </nav>
        <button type="button" class="secondary" onClick={signOut}>Sign out</button>
      </header>
      <main id="main">
        {denied && route === 'keys' ? (
          <KeysNeedOwner problem={denied} />
        ) : denied ? (
          <Forbidden problem={denied} what={NAV.find((n) => n.route === route)!.label} />
        ) : route === 'explore' ? (
          <ExplorePage catalog={access.catalog!} q={loc.search.get('q')} canSave={!access.denied.manage} />
        ) : route === 'saved' ? (
          <SavedPage catalog={access.catalog!} canManage={!access.denied.manage} />
        ) : route === 'apps' ? (
          <AppsPage search={loc.search} canQuery={!access.denied.explore} />
        ) : route === 'operator' ? (
          <OperatorPage />
        ) : (
          <KeysPage />
        )}
        {denied && first ? <p><a href={first.href} onClick={(e) => { e.preventDefault(); navigate(first.href); }}>Go to {first.label}</a></p> : null}
      </main>
    </>
  );
}
