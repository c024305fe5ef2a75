import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'preact/hooks';
import { ok } from '../api/client';
import type { IndicatorStatus } from '../api/types';
import { useApp } from '../app';
import type { I18n, MsgKey } from '../lib/i18n';
import { options } from '../lib/options';
import { href } from '../lib/router';
import { useLoad } from '../lib/useLoad';
import { ChartCanvas, colors } from '../ui/chart';
import { Card, Claimed, Empty, Flag, LoadError, Loading, PartyChip } from '../ui/bits';
import { useEng } from './EngagementShell';
import { LeadTimeChart } from './Overview';

function useRead<T>(fn: (q: { min_position?: number }, signal: AbortSignal) => Promise<T>) {
  const eng = useEng();
  const q = eng.tick ? { min_position: eng.tick } : {};
  return useLoad((signal) => fn(q, signal), [eng.id, eng.tick]);
}

const statusTone: Record<string, 'ok' | 'warn' | 'risk' | 'info'> = {
  open: 'warn',
  answered: 'ok',
  validated: 'ok',
  rejected: 'risk',
  approved: 'ok',
  proposed: 'warn',
  accepted: 'ok',
  declined: 'info',
  awaiting_acceptance: 'warn',
};

function Status({ s, i18n }: { s: string; i18n: I18n }) {
  const key = `status.${s}`;
  return <Flag tone={statusTone[s] ?? 'info'}>{i18n.has(key) ? i18n.t(key) : s}</Flag>;
}

/** A link to the form of an action on this item, when the user may take it. */
export function ActLink({ action, target, label }: { action: string; target: string; label: string }) {
  const eng = useEng();
  const a = eng.actions.find((x) => x.id === action);
  if (!a || (a.target && !options(a.target.source, eng.data, eng.me?.id).some((o) => o.value === target))) return null;
  return (
    <a class="btn btn-small" href={href({ page: 'engagement', id: eng.id, tab: 'act', action, target })} data-action={action}>
      {label}
    </a>
  );
}

export function Requirements() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const res = useRead((query, signal) =>
    ok(client.GET('/v1/engagements/{engagement_id}/requirements-board', { params: { path: { engagement_id: eng.id }, query }, signal })),
  );
  if (res.error && !res.data) return <LoadError error={res.error} i18n={i18n} />;
  if (!res.data) return <Loading i18n={i18n} />;
  const b = res.data;
  const who = (id?: string) => (id ? eng.dir.label(id, '') : '');
  return (
    <div class="board">
      <Card title={t('rq.requirements')} id="rq-reqs" class="span-2">
        {b.requirements.length === 0 ? (
          <Empty>{t('rq.none')}</Empty>
        ) : (
          <ul class="items">
            {b.requirements.map((r) => (
              <li key={r.id} class="item">
                <div class="item-head">
                  <h4>{r.title}</h4>
                  {r.origin === 'delivery' && <Flag tone="warn">{t('rq.atDelivery')}</Flag>}
                  {r.clarified ? <Flag tone="ok">{t('rq.clarified')}</Flag> : null}
                  <ActLink action="clarifyRequirement" target={r.id} label={t('act.clarifyRequirement')} />
                  <ActLink action="askQuestion" target={r.id} label={t('act.askQuestion')} />
                </div>
                {r.description && <p>{r.description}</p>}
                <p class="muted small">{t('rq.raised', { who: who(r.raised_by), date: i18n.date(r.raised_at) })} <Claimed occurred={r.raised_occurred_at} recorded={r.raised_at} i18n={i18n} /></p>
                {r.questions.length > 0 && (
                  <ul class="sub">
                    {r.questions.map((q) => (
                      <li key={q.id}>
                        <span class="sub-kind">{t('rq.question')}</span> {q.text} <Status s={q.status} i18n={i18n} />
                        {q.status === 'open' && <Flag tone="warn">{t('tr.age', { days: i18n.days(Math.floor(q.age_days)) })}</Flag>}
                        {q.answer && <p class="answer">{q.answer}</p>}
                        {q.status === 'open' && <ActLink action="answerQuestion" target={q.id} label={t('act.answerQuestion')} />}
                      </li>
                    ))}
                  </ul>
                )}
                {r.clarifications.length > 0 && (
                  <ul class="sub">
                    {r.clarifications.map((c, i) => (
                      <li key={i}>
                        <span class="sub-kind">{t('rq.clarification')}</span> {c.text}{' '}
                        <span class="muted small">
                          {who(c.clarified_by)} · {i18n.date(c.clarified_at)} <Claimed occurred={c.clarified_occurred_at} recorded={c.clarified_at} i18n={i18n} />
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title={t('rq.assumptions')} id="rq-assumptions">
        {b.assumptions.length === 0 ? (
          <Empty>{t('rq.none')}</Empty>
        ) : (
          <ul class="items" data-testid="assumptions">
            {b.assumptions.map((a) => (
              <li key={a.id} class="item" data-status={a.status}>
                <p>{a.statement}</p>
                <p class="item-meta">
                  <Status s={a.status} i18n={i18n} />
                  {a.status === 'open' && <Flag tone="warn">{t('tr.age', { days: i18n.days(Math.floor(a.age_days)) })}</Flag>}
                  <span class="muted small">{t('rq.madeBy', { who: who(a.made_by), date: i18n.date(a.made_at) })}</span> <Claimed occurred={a.made_occurred_at} recorded={a.made_at} i18n={i18n} />
                </p>
                {a.comment && <p class="answer">{a.comment}</p>}
                {a.status === 'open' && (
                  <p class="item-actions">
                    <ActLink action="validateAssumption" target={a.id} label={t('act.validateAssumption')} />
                    <ActLink action="rejectAssumption" target={a.id} label={t('act.rejectAssumption')} />
                  </p>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title={t('rq.changes')} id="rq-changes">
        {b.changes.length === 0 ? (
          <Empty>{t('rq.none')}</Empty>
        ) : (
          <ul class="items">
            {b.changes.map((c) => (
              <li key={c.id} class="item">
                <p>{c.description}</p>
                <p class="item-meta">
                  <Status s={c.status} i18n={i18n} />
                  <span class="muted small">{who(c.requested_by)}</span>
                </p>
                {c.status === 'open' && (
                  <p class="item-actions">
                    <ActLink action="approveChange" target={c.id} label={t('act.approveChange')} />
                    <ActLink action="rejectChange" target={c.id} label={t('act.rejectChange')} />
                  </p>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title={t('rq.features')} id="rq-features">
        {b.features.length === 0 ? (
          <Empty>{t('rq.none')}</Empty>
        ) : (
          <ul class="items">
            {b.features.map((f) => (
              <li key={f.id} class="item">
                <p>
                  <strong>{f.title}</strong>
                </p>
                {f.description && <p>{f.description}</p>}
                <p class="item-meta">
                  <Status s={f.status} i18n={i18n} />
                  <Flag tone="warn">{t('flag.not_requested')}</Flag>
                  {(f.delivered_in?.length ?? 0) > 0 && f.status !== 'accepted' && <Flag tone="risk">{t('rq.deliveredUnaccepted')}</Flag>}
                </p>
                {f.status === 'proposed' && (
                  <p class="item-actions">
                    <ActLink action="acceptFeature" target={f.id} label={t('act.acceptFeature')} />
                    <ActLink action="declineFeature" target={f.id} label={t('act.declineFeature')} />
                  </p>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

export function Delays() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const res = useRead((query, signal) =>
    ok(client.GET('/v1/engagements/{engagement_id}/delay-register', { params: { path: { engagement_id: eng.id }, query }, signal })),
  );
  if (res.error && !res.data) return <LoadError error={res.error} i18n={i18n} />;
  if (!res.data) return <Loading i18n={i18n} />;
  const r = res.data;
  return (
    <div class="stack">
      <Card title={t('dl.milestones')} id="dl-milestones">
        {r.milestones.length === 0 ? (
          <Empty>{t('dl.noMilestone')}</Empty>
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{t('col.milestone')}</th>
                <th scope="col">{t('col.originalDue')}</th>
                <th scope="col">{t('col.currentDue')}</th>
                <th scope="col">{t('col.delays')}</th>
                <th scope="col">
                  <span class="sr-only">{t('col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {r.milestones.map((m) => (
                <tr key={m.id}>
                  <th scope="row">{m.title}</th>
                  <td>{i18n.date(m.original_due_date)}</td>
                  <td>
                    {i18n.date(m.due_date)}
                    {m.due_date !== m.original_due_date && (
                      <span class="muted small">
                        {' '}
                        ({i18n.signed((Date.parse(m.due_date) - Date.parse(m.original_due_date)) / 86400000, 0)} {t('unit.d')})
                      </span>
                    )}
                  </td>
                  <td>{i18n.num(m.delays, 0)}</td>
                  <td>
                    <ActLink action="discloseDelay" target={m.id} label={t('act.discloseDelay')} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title={t('dl.delays')} id="dl-delays">
        <p class="muted">{t('dl.explain')}</p>
        <LeadTimeChart delays={r} i18n={i18n} />
        {r.delays.length > 0 && (
          <ul class="items">
            {r.delays.map((d) => (
              <li key={d.id} class="item">
                <p>
                  <strong>{d.milestone_title}</strong>: {i18n.date(d.previous_due_date)} → {i18n.date(d.new_due_date)}
                </p>
                <p>{d.reason}</p>
                <p class="muted small">
                  {t('dl.disclosedBy', { who: eng.dir.label(d.disclosed_by, ''), date: i18n.dateTime(d.disclosed_at) })}{' '}
                  <Claimed occurred={d.disclosed_occurred_at} recorded={d.disclosed_at} i18n={i18n} time />
                </p>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

export function Decisions() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const res = useRead((query, signal) =>
    ok(client.GET('/v1/engagements/{engagement_id}/decision-log', { params: { path: { engagement_id: eng.id }, query: { ...query, limit: 200 } }, signal })),
  );
  if (res.error && !res.data) return <LoadError error={res.error} i18n={i18n} />;
  if (!res.data) return <Loading i18n={i18n} />;
  const items = res.data.items;
  return (
    <Card title={t('dc.title')} id="decisions">
      {items.length === 0 ? (
        <Empty>{t('dc.none')}</Empty>
      ) : (
        <ul class="items" data-testid="decisions">
          {items.map((d) => (
            <li key={d.id} class={`item ${d.without_client ? 'item-risk' : ''}`}>
              <div class="item-head">
                <h4>{d.title}</h4>
                <Flag tone="info">{t(`kind.${d.kind}` as MsgKey)}</Flag>
                {d.without_client ? <Flag tone="risk">{t('flag.without_client')}</Flag> : <Flag tone="ok">{t('dc.withClient')}</Flag>}
              </div>
              <ul class="options" aria-label={t('dc.options')}>
                {d.options.map((o) => (
                  <li key={o} class={o === d.chosen ? 'chosen' : ''}>
                    {o === d.chosen && <span class="sr-only">{t('dc.chosen')}: </span>}
                    {o}
                  </li>
                ))}
              </ul>
              {d.rationale && <p>{d.rationale}</p>}
              <p class="muted small">
                {t('dc.by', { who: eng.dir.label(d.decided_by, ''), date: i18n.date(d.decided_at) })}{' '}
                <Claimed occurred={d.decided_occurred_at} recorded={d.decided_at} i18n={i18n} /> ·{' '}
                {t('dc.participants')}: {d.participants.map((p) => p.name ?? p.id).join(', ')}
              </p>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export function Communications() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const res = useRead((query, signal) =>
    ok(client.GET('/v1/engagements/{engagement_id}/communications-report', { params: { path: { engagement_id: eng.id }, query }, signal })),
  );
  if (res.error && !res.data) return <LoadError error={res.error} i18n={i18n} />;
  if (!res.data) return <Loading i18n={i18n} />;
  const r = res.data;
  return (
    <Card
      title={t('cm.title')}
      id="communications"
      aside={
        <span class="muted small">
          {r.last_client_informed_at ? t('cm.last', { when: i18n.relative(r.last_client_informed_at) }) : t('cm.never')}
        </span>
      }
    >
      {r.informations.length === 0 ? (
        <Empty>{t('cm.none')}</Empty>
      ) : (
        <ul class="items" data-testid="communications">
          {r.informations.map((x) => (
            <li key={x.id} class="item">
              <div class="item-head">
                <h4>{x.subject}</h4>
                <Flag tone="info">{t(`channel.${x.channel}` as MsgKey)}</Flag>
                <ActLink action="acknowledgeInformation" target={x.id} label={t('act.acknowledgeInformation')} />
              </div>
              {x.summary && <p>{x.summary}</p>}
              <p class="muted small">{t('cm.by', { who: eng.dir.label(x.informed_by, ''), date: i18n.dateTime(x.informed_at) })}{' '}
                <Claimed occurred={x.informed_occurred_at} recorded={x.informed_at} i18n={i18n} time />
              </p>
              <table class="table compact">
                <thead>
                  <tr>
                    <th scope="col">{t('cm.recipient')}</th>
                    <th scope="col">{t('cm.ack')}</th>
                  </tr>
                </thead>
                <tbody>
                  {x.recipients.map((p) => (
                    <tr key={p.id} data-recipient={p.name}>
                      <td>
                        {p.name ?? p.id} <PartyChip party={p.party} i18n={i18n} />
                      </td>
                      <td>
                        {p.acknowledged_at ? (
                          <>
                            <Flag tone="ok">{t('cm.ackAt', { date: i18n.dateTime(p.acknowledged_at) })}</Flag>{' '}
                            <Claimed occurred={p.acknowledged_occurred_at} recorded={p.acknowledged_at} i18n={i18n} time />
                          </>
                        ) : (
                          <Flag tone="warn">{t('cm.notAck')}</Flag>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export function Indicators() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const res = useRead((query, signal) =>
    ok(client.GET('/v1/engagements/{engagement_id}/indicator-status', { params: { path: { engagement_id: eng.id }, query: { ...query, limit: 200 } }, signal })),
  );
  if (res.error && !res.data) return <LoadError error={res.error} i18n={i18n} />;
  if (!res.data) return <Loading i18n={i18n} />;
  const items = res.data.items;
  return (
    <div class="grid-2">
      {items.length === 0 && <Empty>{t('in.none')}</Empty>}
      {items.map((x) => (
        <Card
          key={x.id}
          title={x.name}
          id={`ind-${x.id}`}
          aside={<Flag tone={x.status === 'on_target' ? 'ok' : x.status === 'off_target' ? 'risk' : 'warn'}>{t(`in.${x.status}` as MsgKey)}</Flag>}
        >
          <p class="muted">
            {t(x.direction === 'at_most' ? 'in.targetAtMost' : 'in.targetAtLeast', { target: `${i18n.num(x.target, 2)}${x.unit ? ` ${x.unit}` : ''}` })}
            {x.latest && ` · ${t('in.latest', { value: `${i18n.num(x.latest.value, 2)}${x.unit ? ` ${x.unit}` : ''}`, date: i18n.date(x.latest.measured_at) })}`}
          </p>
          <IndicatorChart x={x} i18n={i18n} />
          <ActLink action="measureIndicator" target={x.id} label={t('act.measureIndicator')} />
        </Card>
      ))}
    </div>
  );
}

function IndicatorChart({ x, i18n }: { x: IndicatorStatus; i18n: I18n }) {
  const { t } = i18n;
  const config = useMemo<ChartConfiguration>(() => {
    const ms = x.measurements;
    const labels = ms.length ? ms.map((m) => i18n.date(m.measured_at)) : [i18n.date(x.defined_at)];
    return {
      type: 'line',
      data: {
        labels,
        datasets: [
          {
            label: t('in.measured'),
            data: ms.map((m) => m.value),
            borderColor: colors.brand,
            backgroundColor: colors.brand,
            pointRadius: 5,
          },
          {
            label: t('in.target'),
            data: labels.map(() => x.target),
            borderColor: colors.ok,
            borderDash: [6, 4],
            pointRadius: 0,
            fill: false,
          },
        ],
      },
      options: {
        plugins: { tooltip: { enabled: true } },
        scales: { y: { suggestedMin: 0, title: { display: !!x.unit, text: x.unit ?? '' } }, x: { grid: { display: false } } },
      },
    };
  }, [x, i18n]);
  if (x.measurements.length === 0) return <Empty>{t('in.unmeasuredNote')}</Empty>;
  const label = x.measurements.map((m) => `${i18n.date(m.measured_at)}: ${i18n.num(m.value, 2)}`).join('; ');
  return (
    <>
      <ChartCanvas config={config} label={`${x.name} — ${t('in.target')} ${i18n.num(x.target, 2)}; ${label}`} height={200} />
      <table class="table compact">
        <caption class="sr-only">{x.name}</caption>
        <thead>
          <tr>
            <th scope="col">{t('col.date')}</th>
            <th scope="col">{t('in.measured')}</th>
            <th scope="col">{t('col.note')}</th>
          </tr>
        </thead>
        <tbody>
          {x.measurements.map((m) => (
            <tr key={m.id}>
              <td>{i18n.date(m.measured_at)}</td>
              <td>
                {i18n.num(m.value, 2)}
                {x.unit ? ` ${x.unit}` : ''}
              </td>
              <td>{m.note ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
