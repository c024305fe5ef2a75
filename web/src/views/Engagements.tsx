import { useEffect } from 'preact/hooks';
import { ok } from '../api/client';
import type { EngagementSummary, Phase, TransparencyReport } from '../api/types';
import { useApp } from '../app';
import { health, type Health } from '../lib/health';
import { href, type Route } from '../lib/router';
import { useLoad } from '../lib/useLoad';
import { Empty, HealthPill, LoadError, Loading, PhasePill } from '../ui/bits';
import { reasonText } from '../ui/reasons';

const phases: Phase[] = ['emergence', 'scoping', 'delivery', 'acceptance', 'closed'];
const pageSize = 20;

type Row = { s: EngagementSummary; h: Health | null };

export function EngagementList({ route }: { route: Extract<Route, { page: 'engagements' }> }) {
  const { client, i18n, me } = useApp();
  const { t } = i18n;
  const phase = phases.includes(route.phase as Phase) ? (route.phase as Phase) : undefined;
  const res = useLoad(
    async (signal) => {
      const page = await ok(
        client.GET('/v1/engagement-summaries', {
          params: { query: { limit: pageSize, ...(route.cursor ? { cursor: route.cursor } : {}), ...(phase ? { phase } : {}) } },
          signal,
        }),
      );
      // Health comes from each engagement's transparency report.
      const rows: Row[] = await Promise.all(
        page.items.map(async (s) => {
          const r: TransparencyReport | null = await ok(
            client.GET('/v1/engagements/{engagement_id}/transparency', { params: { path: { engagement_id: s.id } }, signal }),
          ).catch(() => null);
          return { s, h: r ? health(r) : null };
        }),
      );
      return { rows, next: page.next_cursor };
    },
    [route.cursor, phase],
  );
  useEffect(() => {
    if (res.data) performance.mark('candor:list-ready');
  }, [res.data]);

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>{t('list.title')}</h1>
          <p class="lead">{me.role === 'member' ? t('list.leadMember') : t('list.leadAll')}</p>
        </div>
        <div class="field field-inline">
          <label for="phase-filter">{t('list.phase')}</label>
          <select
            id="phase-filter"
            value={phase ?? ''}
            onChange={(e) => {
              const v = e.currentTarget.value;
              location.hash = href({ page: 'engagements', ...(v ? { phase: v } : {}) });
            }}
          >
            <option value="">{t('list.allPhases')}</option>
            {phases.map((p) => (
              <option key={p} value={p}>
                {t(`phase.${p}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {res.error ? (
        <LoadError error={res.error} i18n={i18n} />
      ) : !res.data ? (
        <Loading i18n={i18n} />
      ) : res.data.rows.length === 0 ? (
        <Empty>{t('list.empty')}</Empty>
      ) : (
        <ul class="eng-list" data-testid="engagement-list">
          {res.data.rows.map(({ s, h }) => (
            <li key={s.id} class="eng-item card">
              <div class="eng-main">
                <h2>
                  <a href={href({ page: 'engagement', id: s.id, tab: 'overview' })}>{s.title}</a>
                </h2>
                <p class="eng-parties">{s.parties.map((p) => p.name).join(' · ')}</p>
                {s.description && <p class="eng-desc">{s.description}</p>}
              </div>
              <div class="eng-status">
                <PhasePill phase={s.phase} i18n={i18n} />
                {h && <HealthPill level={h.level} i18n={i18n} />}
              </div>
              <div class="eng-facts">
                {h && h.reasons.length > 0 ? (
                  <ul class="reasons">
                    {h.reasons.slice(0, 3).map((r) => (
                      <li key={r.key} class={r.severe ? 'severe' : ''}>
                        {reasonText(r, i18n)}
                      </li>
                    ))}
                  </ul>
                ) : h ? (
                  <p class="muted">{t('health.none')}</p>
                ) : null}
                <p class="muted small">
                  {t('list.activity', { when: i18n.relative(s.last_activity_at), n: s.counts.events })}
                </p>
              </div>
            </li>
          ))}
        </ul>
      )}
      {res.data && (route.cursor || res.data.next) && (
        <nav class="pager" aria-label={t('list.pages')}>
          {route.cursor && (
            <a class="btn" href={href({ page: 'engagements', ...(phase ? { phase } : {}) })}>
              {t('list.first')}
            </a>
          )}
          {res.data.next && (
            <a class="btn" href={href({ page: 'engagements', cursor: res.data.next, ...(phase ? { phase } : {}) })}>
              {t('list.next')}
            </a>
          )}
        </nav>
      )}
    </div>
  );
}
