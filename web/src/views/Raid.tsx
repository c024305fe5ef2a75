// The RAID register: risks by score, issues by age, dependencies with the
// client's late ones flagged (a delay the client caused is no secret
// either), from the read model …/raid-register.
import { ok } from '../api/client';
import { useApp } from '../app';
import { href } from '../lib/router';
import { useLoad } from '../lib/useLoad';
import { Card, Claimed, Empty, Flag, LoadError, Loading, PartyChip } from '../ui/bits';
import { useEng } from './EngagementShell';
import { ActLink } from './Registers';

const scoreClass = (s: number) => (s >= 15 ? 'score-high' : s >= 8 ? 'score-mid' : '');

export function Raid() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const res = useLoad(
    (signal) =>
      ok(
        client.GET('/v1/engagements/{engagement_id}/raid-register', {
          params: { path: { engagement_id: eng.id }, query: eng.tick ? { min_position: eng.tick } : {} },
          signal,
        }),
      ),
    [eng.id, eng.tick],
  );
  if (res.error && !res.data) return <LoadError error={res.error} i18n={i18n} />;
  if (!res.data) return <Loading i18n={i18n} />;
  const r = res.data;
  const who = (id?: string) => (id ? eng.dir.label(id, id) : t('unassigned'));
  const may = (id: string) => eng.actions.some((a) => a.id === id);
  const risks = [...r.risks].sort((a, b) => b.score - a.score || b.age_days - a.age_days);
  const issues = [...r.issues].sort((a, b) => (a.status === b.status ? b.age_days - a.age_days : a.status === 'open' ? -1 : 1));
  const deps = [...r.dependencies].sort((a, b) => Number(b.late) - Number(a.late) || b.days_late - a.days_late);

  return (
    <div class="stack raid">
      <Card
        title={t('raid.risks')}
        id="raid-risks"
        aside={
          may('raiseRisk') && (
            <a class="btn btn-small" href={href({ page: 'engagement', id: eng.id, tab: 'act', action: 'raiseRisk' })} data-action="raiseRisk">
              {t('raid.raiseRisk')}
            </a>
          )
        }
      >
        {risks.length === 0 ? (
          <Empty>{t('raid.noRisk')}</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table" data-testid="raid-risks">
              <thead>
                <tr>
                  <th scope="col">{t('raid.score')}</th>
                  <th scope="col">{t('raid.risk')}</th>
                  <th scope="col">{t('raid.owner')}</th>
                  <th scope="col">{t('raid.status')}</th>
                  <th scope="col">{t('raid.age')}</th>
                </tr>
              </thead>
              <tbody>
                {risks.map((x) => (
                  <tr key={x.id} data-risk={x.title}>
                    <td class={`num score ${scoreClass(x.score)}`}>
                      {i18n.num(x.score, 0)}
                      <span class="muted small"> · {t('raid.pi', { p: x.probability, i: x.impact })}</span>
                    </td>
                    <td>
                      <strong>{x.title}</strong>
                      {x.response && <p class="muted small">{x.response}</p>}
                      <Claimed occurred={x.raised_occurred_at} recorded={x.raised_at} i18n={i18n} />
                    </td>
                    <td>{who(x.owner_id)}</td>
                    <td>
                      <Flag tone={x.status === 'escalated' || x.status === 'occurred' ? 'risk' : x.status === 'closed' ? 'info' : 'warn'}>
                        {t(`riskStatus.${x.status}`)}
                      </Flag>
                    </td>
                    <td class="num">{i18n.days(Math.floor(x.age_days))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <Card title={t('raid.issues')} id="raid-issues">
        {issues.length === 0 ? (
          <Empty>{t('raid.noIssue')}</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table" data-testid="raid-issues">
              <thead>
                <tr>
                  <th scope="col">{t('raid.issue')}</th>
                  <th scope="col">{t('raid.severity')}</th>
                  <th scope="col">{t('raid.owner')}</th>
                  <th scope="col">{t('raid.status')}</th>
                  <th scope="col">{t('raid.age')}</th>
                </tr>
              </thead>
              <tbody>
                {issues.map((x) => (
                  <tr key={x.id}>
                    <td>
                      {x.description}
                      <Claimed occurred={x.reported_occurred_at} recorded={x.reported_at} i18n={i18n} />
                    </td>
                    <td>{x.severity ? t(`severity.${x.severity}`) : '—'}</td>
                    <td>{x.owner_id ? who(x.owner_id) : <Flag tone="warn">{t('unassigned')}</Flag>}</td>
                    <td>
                      <Flag tone={x.status === 'open' ? 'warn' : 'ok'}>{t(`issueStatus.${x.status}`)}</Flag>
                    </td>
                    <td class="num">{i18n.days(Math.floor(x.age_days))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <Card
        title={t('raid.dependencies')}
        id="raid-dependencies"
        aside={
          may('raiseDependency') && (
            <a
              class="btn btn-small"
              href={href({ page: 'engagement', id: eng.id, tab: 'act', action: 'raiseDependency' })}
              data-action="raiseDependency"
            >
              {t('raid.raiseDependency')}
            </a>
          )
        }
      >
        {deps.length === 0 ? (
          <Empty>{t('raid.noDependency')}</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table" data-testid="raid-dependencies">
              <thead>
                <tr>
                  <th scope="col">{t('raid.dependency')}</th>
                  <th scope="col">{t('raid.owedBy')}</th>
                  <th scope="col">{t('raid.due')}</th>
                  <th scope="col">{t('raid.status')}</th>
                </tr>
              </thead>
              <tbody>
                {deps.map((x) => {
                  const clientLate = x.late && x.owed_by_party === 'client';
                  return (
                    <tr key={x.id} class={clientLate ? 'late-client' : ''} data-dependency={x.title}>
                      <td>
                        <strong>{x.title}</strong>
                        {x.delay_ids.length > 0 && <p class="muted small">{t('raid.causedDelays', { n: x.delay_ids.length })}</p>}
                        <Claimed occurred={x.raised_occurred_at} recorded={x.raised_at} i18n={i18n} />
                      </td>
                      <td>
                        {who(x.owed_by)} <PartyChip party={x.owed_by_party} i18n={i18n} />
                      </td>
                      <td>{i18n.date(x.due_date)}</td>
                      <td>
                        {clientLate && <Flag tone="risk">{t('raid.clientLate')}</Flag>}{' '}
                        {x.late ? (
                          <Flag tone="risk">{t('raid.late', { n: Math.floor(x.days_late) })}</Flag>
                        ) : x.status === 'open' ? (
                          <Flag tone="ok">{t('raid.onTime')}</Flag>
                        ) : null}{' '}
                        {x.status === 'met' && x.met_at && <Flag tone="ok">{t('raid.met', { date: i18n.date(x.met_at) })}</Flag>}{' '}
                        <ActLink action="meetDependency" target={x.id} label={t('raid.meet')} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
