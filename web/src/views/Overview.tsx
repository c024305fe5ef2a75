import type { ChartConfiguration } from 'chart.js';
import { useEffect, useMemo } from 'preact/hooks';
import { ok } from '../api/client';
import type { DelayRegister, Phase, RegisterStakeholder, TransparencyReport } from '../api/types';
import { useApp } from '../app';
import { health, informedRiskDays, informedWatchDays } from '../lib/health';
import type { I18n, MsgKey } from '../lib/i18n';
import { href } from '../lib/router';
import { useLoad } from '../lib/useLoad';
import { ChartCanvas, colors } from '../ui/chart';
import { Card, Claimed, Empty, Flag, HealthPill, LoadError, Loading, PartyChip, Stat } from '../ui/bits';
import { FactList } from '../ui/facts';
import { reasonText } from '../ui/reasons';
import { useEng } from './EngagementShell';

const phases: Phase[] = ['emergence', 'scoping', 'delivery', 'acceptance', 'closed'];

export function Overview() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const q = eng.tick ? { min_position: eng.tick } : {};
  const path = { engagement_id: eng.id };
  const res = useLoad(
    async (signal) => {
      const [tr, delays, people] = await Promise.all([
        ok(client.GET('/v1/engagements/{engagement_id}/transparency', { params: { path, query: q }, signal })),
        ok(client.GET('/v1/engagements/{engagement_id}/delay-register', { params: { path, query: q }, signal })),
        ok(client.GET('/v1/engagements/{engagement_id}/stakeholder-register', { params: { path, query: { ...q, limit: 200 } }, signal })),
      ]);
      return { tr, delays, people: people.items };
    },
    [eng.id, eng.tick],
  );
  useEffect(() => {
    if (res.data) performance.mark('candor:overview-ready');
  }, [res.data]);

  const e = eng.data.engagement;
  return (
    <div class="overview">
      <PhaseStepper phase={e.phase} history={e.phase_history} i18n={i18n} />
      {e.description && <p class="eng-desc lead">{e.description}</p>}
      {res.error && !res.data ? (
        <LoadError error={res.error} i18n={i18n} />
      ) : !res.data ? (
        <Loading i18n={i18n} />
      ) : (
        <div class="overview-grid">
          <Transparency tr={res.data.tr} delays={res.data.delays} i18n={i18n} />
          <People people={res.data.people} i18n={i18n} />
          <Card title={t('ov.latest')} id="latest">
            {eng.live.facts.length === 0 ? (
              <Empty>{t('ov.nothingNew')}</Empty>
            ) : (
              <FactList facts={[...eng.live.facts].reverse().slice(0, 6)} dir={eng.dir} compact />
            )}
            <p class="more">
              <a href={href({ page: 'engagement', id: eng.id, tab: 'timeline' })}>{t('ov.fullTimeline')}</a>
            </p>
          </Card>
        </div>
      )}
    </div>
  );
}

export function PhaseStepper({ phase, history, i18n }: { phase: Phase; history: { phase: Phase; at: string }[]; i18n: I18n }) {
  const cur = phases.indexOf(phase);
  return (
    <ol class="stepper" aria-label={i18n.t('ov.phases')}>
      {phases.map((p, i) => {
        const at = history.find((h) => h.phase === p)?.at;
        const state = i < cur ? 'done' : i === cur ? 'current' : 'todo';
        return (
          <li key={p} class={`step step-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
            <span class="step-dot" aria-hidden="true">
              {state === 'done' ? '✓' : i + 1}
            </span>
            <span class="step-name">{i18n.t(`phase.${p}`)}</span>
            <span class="step-date">{at ? i18n.date(at) : state === 'current' ? '' : '—'}</span>
          </li>
        );
      })}
    </ol>
  );
}

function Transparency({ tr, delays, i18n }: { tr: TransparencyReport; delays: DelayRegister; i18n: I18n }) {
  const { t } = i18n;
  const eng = useEng();
  const h = health(tr);
  const days = tr.days_since_client_informed;
  const informedTone = days === null || days === undefined ? 'risk' : days >= informedRiskDays ? 'risk' : days >= informedWatchDays ? 'warn' : 'ok';
  const canValidate = eng.actions.some((a) => a.id === 'validateAssumption');
  return (
    <Card
      title={t('tr.title')}
      id="transparency"
      class="span-2"
      aside={<HealthPill level={h.level} i18n={i18n} />}
    >
      <div class="stats" data-testid="transparency">
        <Stat
          testid="stat-delays"
          label={t('tr.delaysAfterDue')}
          value={`${i18n.num(tr.delays.disclosed_after_due, 0)} / ${i18n.num(tr.delays.count, 0)}`}
          tone={tr.delays.disclosed_after_due > 0 ? 'risk' : 'ok'}
          note={
            tr.delays.median_lead_time_days !== null && tr.delays.median_lead_time_days !== undefined
              ? t('tr.median', { days: i18n.signed(tr.delays.median_lead_time_days) }) +
                (tr.delays.median_claimed_lead_time_days !== null && tr.delays.median_claimed_lead_time_days !== tr.delays.median_lead_time_days
                  ? ` (${t('tr.claimedMedian', { days: i18n.signed(tr.delays.median_claimed_lead_time_days) })})`
                  : '')
              : t('tr.noDelay')
          }
        />
        <Stat
          testid="stat-informed"
          label={t('tr.sinceInformed')}
          value={days === null || days === undefined ? t('tr.never') : i18n.days(Math.floor(days))}
          tone={informedTone}
          note={t('tr.informedNote', { n: informedWatchDays })}
        />
        <Stat
          testid="stat-assumptions"
          label={t('tr.openAssumptions')}
          value={i18n.num(tr.open_assumptions.open, 0)}
          tone={tr.open_assumptions.open > 0 ? 'warn' : 'ok'}
          note={t('tr.olderThan7', { n: tr.open_assumptions.older_than_7_days.length })}
        />
        <Stat
          testid="stat-decisions"
          label={t('tr.withoutClient')}
          value={`${i18n.num(tr.decisions.without_client.length, 0)} / ${i18n.num(tr.decisions.total, 0)}`}
          tone={tr.decisions.without_client.length > 0 ? 'risk' : 'ok'}
          note={t('tr.decisionsNote')}
        />
      </div>

      <div class="tr-cols">
        <div>
          <h4>{t('tr.leadTimes')}</h4>
          <LeadTimeChart delays={delays} i18n={i18n} />
        </div>
        <div class="tr-lists">
          {h.reasons.length > 0 && (
            <>
              <h4>{t('tr.watch')}</h4>
              <ul class="reasons">
                {h.reasons.map((r) => (
                  <li key={r.key} class={r.severe ? 'severe' : ''}>
                    {reasonText(r, i18n)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      </div>

      <div class="tr-late" data-testid="late-recording">
        <h4>{t('tr.lateRecording')}</h4>
        {tr.late_recording.later_than_1_day.length === 0 ? (
          <p class="muted small">{t('tr.noLateRecording')}</p>
        ) : (
          <>
            <p class="small">
              {t('tr.lateRecordingNote', {
                n: tr.late_recording.later_than_1_day.length,
                days: i18n.days(Math.floor(tr.late_recording.max_gap_days ?? 0)),
              })}
            </p>
            <ul class="aged">
              {tr.late_recording.later_than_1_day.map((r) => (
                <li key={r.revision}>
                  <span>{i18n.has(`ev.${r.type}`) ? t(`ev.${r.type}` as MsgKey) : r.type}</span>{' '}
                  <Flag tone="warn">{t('tr.gap', { days: i18n.days(Math.floor(r.gap_days)) })}</Flag>{' '}
                  <Claimed occurred={r.occurred_at} recorded={r.recorded_at} i18n={i18n} />
                </li>
              ))}
            </ul>
          </>
        )}
      </div>

      <div class="tr-details">
        <div>
          <h4>{t('tr.assumptionsList')}</h4>
          {tr.open_assumptions.older_than_7_days.length === 0 ? (
            <Empty>{t('tr.none')}</Empty>
          ) : (
            <ul class="aged" data-testid="open-assumptions">
              {tr.open_assumptions.older_than_7_days.map((a) => (
                <li key={a.id}>
                  <span>{a.text}</span> <Flag tone="warn">{t('tr.age', { days: i18n.days(Math.floor(a.age_days)) })}</Flag>
                  {canValidate && (
                    <>
                      {' '}
                      <a class="btn btn-small" href={href({ page: 'engagement', id: eng.id, tab: 'act', action: 'validateAssumption', target: a.id })}>
                        {t('tr.answer')}
                      </a>
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}
          <h4>{t('tr.questions')}</h4>
          {tr.open_questions.length === 0 ? (
            <Empty>{t('tr.none')}</Empty>
          ) : (
            <ul class="aged">
              {tr.open_questions.map((a) => (
                <li key={a.id}>
                  <span>{a.text}</span> <Flag tone="warn">{t('tr.age', { days: i18n.days(Math.floor(a.age_days)) })}</Flag>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h4>{t('tr.decisionsList')}</h4>
          {tr.decisions.without_client.length === 0 ? (
            <Empty>{t('tr.none')}</Empty>
          ) : (
            <ul class="aged">
              {tr.decisions.without_client.map((d) => (
                <li key={d.id}>
                  <span>{d.title}</span> {d.at && <span class="muted small">{i18n.date(d.at)}</span>}
                </li>
              ))}
            </ul>
          )}
          <h4>{t('tr.uninformed')}</h4>
          {tr.uninformed_stakeholders.length === 0 ? (
            <Empty>{t('tr.none')}</Empty>
          ) : (
            <ul class="aged" data-testid="uninformed">
              {tr.uninformed_stakeholders.map((u) => (
                <li key={u.stakeholder_id}>
                  <span>{u.name}</span> <Flag tone="warn">{t('flag.joinedAgo', { days: i18n.days(Math.floor(u.days_since_joined)) })}</Flag>
                </li>
              ))}
            </ul>
          )}
          <h4>{t('tr.unacknowledged')}</h4>
          {tr.not_acknowledged.length === 0 ? (
            <Empty>{t('tr.none')}</Empty>
          ) : (
            <ul class="aged" data-testid="not-acknowledged">
              {tr.not_acknowledged.map((n) => (
                <li key={n.id}>
                  <span>{n.subject}</span>{' '}
                  <span class="muted small">
                    {t('tr.waiting', { names: i18n.list(n.waiting.map((w) => eng.dir.label(w, w))) })}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </Card>
  );
}

export function LeadTimeChart({ delays, i18n }: { delays: DelayRegister; i18n: I18n }) {
  const { t } = i18n;
  const config = useMemo<ChartConfiguration>(() => {
    const ds = delays.delays;
    return {
      type: 'bar',
      data: {
        labels: ds.map((d) => `${d.milestone_title} · ${i18n.date(d.disclosed_at)}`),
        datasets: [
          {
            label: t('tr.leadTimeAxis'),
            data: ds.map((d) => d.lead_time_days),
            backgroundColor: ds.map((d) => (d.lead_time_days < 0 ? colors.risk : colors.ok)),
            borderRadius: 4,
            maxBarThickness: 48,
          },
        ],
      },
      options: {
        indexAxis: 'y',
        plugins: {
          tooltip: { callbacks: { label: (c) => t('tr.leadTimeValue', { days: i18n.signed(Number(c.raw)) }) } },
        },
        scales: {
          x: {
            title: { display: true, text: t('tr.leadTimeAxis') },
            grid: { color: (c) => (c.tick.value === 0 ? '#4a5263' : colors.grid) },
            suggestedMin: -5,
            suggestedMax: 5,
          },
          y: { grid: { display: false } },
        },
      },
    };
  }, [delays, i18n]);
  if (delays.delays.length === 0) return <Empty>{t('tr.noDelay')}</Empty>;
  const summary = delays.delays
    .map((d) => t('tr.leadTimeOne', { milestone: d.milestone_title, days: i18n.signed(d.lead_time_days) }))
    .join('; ');
  return (
    <>
      <ChartCanvas config={config} label={summary} height={Math.max(120, 56 * delays.delays.length + 60)} />
      <table class="table compact" data-testid="lead-times">
        <caption class="sr-only">{t('tr.leadTimes')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('col.milestone')}</th>
            <th scope="col">{t('col.disclosed')}</th>
            <th scope="col">{t('col.leadTime')}</th>
          </tr>
        </thead>
        <tbody>
          {delays.delays.map((d) => (
            <tr key={d.id}>
              <td>{d.milestone_title}</td>
              <td>{i18n.date(d.disclosed_at)}</td>
              <td class={d.lead_time_days < 0 ? 'neg' : 'pos'}>
                {i18n.days(d.lead_time_days)}
                {d.disclosed_after_due && (
                  <>
                    {' '}
                    <Flag tone="risk">{t('flag.after_due')}</Flag>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function People({ people, i18n }: { people: RegisterStakeholder[]; i18n: I18n }) {
  const { t } = i18n;
  const eng = useEng();
  const parties = eng.data.engagement.parties;
  return (
    <Card title={t('ov.people')} id="people">
      {parties.map((p) => {
        const ps = people.filter((s) => s.party === p.party);
        return (
          <div class="party" key={p.party}>
            <h4>
              {p.name} <PartyChip party={p.party} i18n={i18n} />
            </h4>
            {p.perimeter && <p class="muted small">{p.perimeter.description}</p>}
            {ps.length === 0 ? (
              <Empty>{t('ov.nobody')}</Empty>
            ) : (
              <ul class="people">
                {ps.map((s) => (
                  <li key={s.id} class={s.left_at ? 'left' : ''}>
                    <span class="person-name">{s.name}</span>
                    {s.role && <span class="muted small"> · {s.role}</span>}
                    <span class="person-flags">
                      {s.late && <Flag tone="info">{t('flag.late_joiner')}</Flag>}
                      {s.never_briefed && <Flag tone="risk">{t('flag.never_briefed')}</Flag>}
                      {s.late && !s.never_briefed && s.briefed_at && <Flag tone="ok">{t('flag.briefed', { date: i18n.date(s.briefed_at) })}</Flag>}
                      {s.left_at && <Flag tone="info">{t('flag.left')}</Flag>}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
    </Card>
  );
}
