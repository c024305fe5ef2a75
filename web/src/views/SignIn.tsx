import { useState } from 'preact/hooks';
import { ApiError, makeClient, NetworkError, ok } from '../api/client';
import type { Principal } from '../api/types';
import type { I18n } from '../lib/i18n';
import { cleanServer, cleanToken, type Session } from '../lib/session';
import { Notice } from '../ui/bits';

export function SignIn({
  i18n,
  onSignedIn,
  ended,
}: {
  i18n: I18n;
  onSignedIn: (s: Session, me: Principal) => void;
  ended: boolean;
}) {
  const { t } = i18n;
  const [token, setToken] = useState('');
  const [server, setServer] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const tok = cleanToken(token);
    const srv = cleanServer(server);
    if (!tok) {
      setError(t('signin.empty'));
      return;
    }
    if (srv === null) {
      setError(t('signin.badServer'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const me = await ok(makeClient(srv, tok, () => {}).GET('/v1/me'));
      onSignedIn({ token: tok, server: srv }, me);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(t('signin.rejected'));
      else if (err instanceof NetworkError) setError(t('signin.unreachable'));
      else setError(t('err.generic'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="signin">
      <div class="signin-intro">
        <h1>{t('signin.title')}</h1>
        <p class="lead">{t('signin.lead')}</p>
        <ul class="signin-points">
          <li>{t('signin.point1')}</li>
          <li>{t('signin.point2')}</li>
          <li>{t('signin.point3')}</li>
        </ul>
      </div>
      <form class="card signin-form" onSubmit={submit} noValidate aria-labelledby="signin-h">
        <h2 id="signin-h">{t('signin.form')}</h2>
        {ended && <Notice tone="info" title={t('signin.ended')} role="status" />}
        <div class="field">
          <label for="token">{t('signin.token')}</label>
          <textarea
            id="token"
            name="token"
            rows={3}
            autocomplete="off"
            spellcheck={false}
            aria-describedby="token-hint token-error"
            aria-invalid={error ? true : undefined}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
          <p class="hint" id="token-hint">
            {t('signin.tokenHint')}
          </p>
          {error && (
            <p class="error" id="token-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <details class="advanced">
          <summary>{t('signin.advanced')}</summary>
          <div class="field">
            <label for="server">{t('signin.server')}</label>
            <input
              id="server"
              name="server"
              type="url"
              inputMode="url"
              placeholder={location.origin}
              aria-describedby="server-hint"
              value={server}
              onInput={(e) => setServer(e.currentTarget.value)}
            />
            <p class="hint" id="server-hint">
              {t('signin.serverHint')}
            </p>
          </div>
        </details>
        <button class="btn btn-primary" type="submit" disabled={busy}>
          {busy ? t('signin.checking') : t('signin.submit')}
        </button>
        <p class="hint">{t('signin.storage')}</p>
      </form>
    </div>
  );
}
