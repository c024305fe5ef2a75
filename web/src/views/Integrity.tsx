import { useEffect, useState } from 'preact/hooks';
import { ok } from '../api/client';
import type { EventOut } from '../api/types';
import { useApp } from '../app';
import { fromEventOut } from '../lib/facts';
import { useLoad } from '../lib/useLoad';
import { Card, LoadError, Loading, Notice } from '../ui/bits';
import { useEng } from './EngagementShell';

export function Integrity() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const path = { engagement_id: eng.id };
  const v = useLoad(
    (signal) => ok(client.GET('/v1/engagements/{engagement_id}/verification', { params: { path }, signal })),
    [eng.id, eng.tick],
  );
  const [events, setEvents] = useState<EventOut[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const more = async (cursor?: string) => {
    setBusy(true);
    try {
      const page = await ok(
        client.GET('/v1/engagements/{engagement_id}/events', { params: { path, query: { limit: 50, ...(cursor ? { cursor } : {}) } } }),
      );
      setEvents((e) => (cursor ? [...e, ...page.items] : page.items));
      setNext(page.next_cursor ?? null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    void more();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [eng.id]);

  return (
    <div class="stack">
      <Card title={t('in2.chain')} id="chain">
        {v.error ? (
          <LoadError error={v.error} i18n={i18n} />
        ) : !v.data ? (
          <Loading i18n={i18n} />
        ) : v.data.ok ? (
          <Notice tone="ok" title={t('in2.ok')}>
            <p data-testid="verification">
              {t('in2.okDetail', { n: v.data.events, date: i18n.dateTime(v.data.checked_at) })}
            </p>
          </Notice>
        ) : (
          <Notice tone="risk" title={t('in2.broken')} role="alert">
            <p data-testid="verification">
              {t('in2.brokenDetail', {
                revision: v.data.broken?.revision ?? '?',
                position: v.data.broken?.position ?? '?',
                reason: v.data.broken?.reason ?? '',
              })}
            </p>
          </Notice>
        )}
        <p class="muted small">{t('in2.explain')}</p>
      </Card>
      <Card title={t('in2.log')} id="raw-log">
        {error !== null && <LoadError error={error} i18n={i18n} />}
        <div class="table-wrap">
          <table class="table raw" data-testid="raw-log">
            <thead>
              <tr>
                <th scope="col">{t('in2.rev')}</th>
                <th scope="col">{t('in2.pos')}</th>
                <th scope="col">{t('in2.type')}</th>
                <th scope="col">{t('in2.happened')}</th>
                <th scope="col">{t('in2.recorded')}</th>
                <th scope="col">{t('in2.actor')}</th>
                <th scope="col">{t('in2.data')}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td class="num">{e.revision}</td>
                  <td class="num">{e.position}</td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>{i18n.dateTime(fromEventOut(e).at)}</td>
                  <td>{i18n.dateTime(e.recorded_at)}</td>
                  <td>{eng.dir.label(e.actor, e.actor ?? '')}</td>
                  <td>
                    <details>
                      <summary>{t('in2.show')}</summary>
                      <pre>{JSON.stringify({ ...e, data: e.data }, null, 2)}</pre>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="more">
          {busy ? (
            <p class="loading" role="status">
              {t('state.loading')}
            </p>
          ) : next ? (
            <button type="button" class="btn" onClick={() => void more(next)}>
              {t('tl.more')}
            </button>
          ) : null}
        </div>
      </Card>
    </div>
  );
}
