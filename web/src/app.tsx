import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { makeClient, ok, type Client } from './api/client';
import type { Principal } from './api/types';
import { initialLang, makeI18n, type I18n, type Lang } from './lib/i18n';
import { parseRoute, type Route } from './lib/router';
import { clearEvidence } from './lib/evidence';
import { clearSession, loadSession, saveSession, type Session } from './lib/session';
import { EngagementList } from './views/Engagements';
import { EngagementShell } from './views/EngagementShell';
import { SignIn } from './views/SignIn';
import { Notice } from './ui/bits';

export interface AppState {
  i18n: I18n;
  setLang: (l: Lang) => void;
  client: Client;
  session: Session;
  me: Principal;
  signOut: () => void;
}

export const AppCtx = createContext<AppState | null>(null);

export function useApp(): AppState {
  const a = useContext(AppCtx);
  if (!a) throw new Error('useApp outside the app');
  return a;
}

const LANG_KEY = 'candor.lang'; // a preference, not a secret: localStorage

function useHashRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return useMemo(() => parseRoute(hash), [hash]);
}

export function App() {
  const [lang, setLangState] = useState<Lang>(() => initialLang(localStorage.getItem(LANG_KEY), navigator.languages));
  const i18n = useMemo(() => makeI18n(lang), [lang]);
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    setLangState(l);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = i18n.t('app.title');
  }, [lang, i18n]);

  const [session, setSession] = useState<Session | null>(() => loadSession(sessionStorage));
  const [me, setMe] = useState<Principal | null>(null);
  const [ended, setEnded] = useState(false);
  const route = useHashRoute();

  const signOut = useCallback((expired = false) => {
    clearSession(sessionStorage);
    clearEvidence(sessionStorage);
    setSession(null);
    setMe(null);
    setEnded(expired);
  }, []);
  const client = useMemo(
    () => (session ? makeClient(session.server, session.token, () => signOut(true)) : null),
    [session, signOut],
  );

  // A session restored from sessionStorage is checked once.
  useEffect(() => {
    if (!client || me) return;
    const ctrl = new AbortController();
    ok(client.GET('/v1/me', { signal: ctrl.signal })).then(setMe, () => {
      if (!ctrl.signal.aborted) signOut(true);
    });
    return () => ctrl.abort();
  }, [client, me, signOut]);

  const onSignedIn = (s: Session, p: Principal) => {
    saveSession(sessionStorage, s);
    setSession(s);
    setMe(p);
    setEnded(false);
  };

  const state = useMemo<AppState | null>(
    () => (client && session && me ? { i18n, setLang, client, session, me, signOut: () => signOut(false) } : null),
    [client, session, me, i18n, setLang, signOut],
  );

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        {i18n.t('app.skip')}
      </a>
      <header class="topbar">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true">C</span>
          <span class="brand-name">Candor</span>
          <span class="brand-tag">{i18n.t('app.tagline')}</span>
        </a>
        <div class="topbar-right">
          <LangSwitch i18n={i18n} lang={lang} setLang={setLang} />
          {state && (
            <div class="whoami">
              <span class="whoami-name" data-testid="me-name">{state.me.name}</span>
              <span class="whoami-role">{i18n.t(`role.${state.me.role}`)}</span>
              <button type="button" class="btn btn-quiet" onClick={state.signOut}>
                {i18n.t('app.signOut')}
              </button>
            </div>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {!session || !client ? (
          <SignIn i18n={i18n} onSignedIn={onSignedIn} ended={ended} />
        ) : !state ? (
          <p class="loading" role="status">{i18n.t('state.loading')}</p>
        ) : (
          <AppCtx.Provider value={state}>
            <Page route={route} />
          </AppCtx.Provider>
        )}
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  const { i18n } = useApp();
  switch (route.page) {
    case 'engagements':
      return <EngagementList route={route} />;
    case 'engagement':
      return <EngagementShell key={route.id} route={route} />;
    default:
      return (
        <Notice tone="info" title={i18n.t('nf.page')}>
          <a href="#/">{i18n.t('nf.back')}</a>
        </Notice>
      );
  }
}

function LangSwitch({ i18n, lang, setLang }: { i18n: I18n; lang: Lang; setLang: (l: Lang) => void }) {
  return (
    <div class="lang" role="group" aria-label={i18n.t('app.language')}>
      {(['en', 'fr'] as const).map((l) => (
        <button
          key={l}
          type="button"
          class={lang === l ? 'on' : ''}
          aria-pressed={lang === l}
          lang={l}
          onClick={() => setLang(l)}
        >
          {l === 'en' ? 'English' : 'Français'}
        </button>
      ))}
    </div>
  );
}
