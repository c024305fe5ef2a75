import { useEffect, useMemo, useState } from 'preact/hooks';
import { ok } from '../api/client';
import type { KnowledgeItem } from '../api/types';
import { useApp } from '../app';
import { fromEventOut, type Fact } from '../lib/facts';
import type { MsgKey } from '../lib/i18n';
import { clamp, cutAt, fromLocalInput, toLocalInput } from '../lib/moments';
import { useLoad } from '../lib/useLoad';
import { Card, Empty, Flag, LoadError, Loading, PartyChip, Stat } from '../ui/bits';
import { useEng } from './EngagementShell';
import { PhaseStepper } from './Overview';

const hour = 3600_000;
const kinds = ['informed', 'acknowledged', 'decision', 'workshop', 'briefed', 'briefing_given', 'signed'] as const;

export function Knowledge() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const people = eng.data.stakeholders;
  const [who, setWho] = useState<string>(() => eng.me?.id ?? people.find((p) => p.party === 'client')?.id ?? people[0]?.id ?? '');
  const start = useMemo(() => new Date(eng.data.engagement.opened_at), [eng.data.engagement.opened_at]);
  const [end] = useState(() => new Date());
  const [moment, setMoment] = useState<Date>(end);
  const [typed, setTyped] = useState(() => toLocalInput(end));
  const [settled, setSettled] = useState<Date>(end);
  useEffect(() => {
    const h = setTimeout(() => setSettled(moment), 250);
    return () => clearTimeout(h);
  }, [moment]);

  // Every fact's position and time, to find the engagement as it stood.
  const history = useLoad(
    async (signal) => {
      const out: Fact[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 100; i++) {
        const page = await ok(
          client.GET('/v1/engagements/{engagement_id}/events', {
            params: { path: { engagement_id: eng.id }, query: { limit: 200, ...(cursor ? { cursor } : {}) } },
            signal,
          }),
        );
        out.push(...page.items.map(fromEventOut));
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
      return out;
    },
    [eng.id, eng.tick],
  );
  const cut = useMemo(() => (history.data ? cutAt(history.data, settled) : null), [history.data, settled]);

  const at = settled.toISOString();
  const path = { engagement_id: eng.id };
  const know = useLoad(
    (signal) =>
      who
        ? ok(
            client.GET('/v1/engagements/{engagement_id}/stakeholders/{stakeholder_id}/knowledge', {
              params: { path: { ...path, stakeholder_id: who }, query: { as_of: at, ...(eng.tick ? { min_position: eng.tick } : {}) } },
              signal,
            }),
          )
        : Promise.resolve(null),
    [who, at, eng.tick],
  );
  const pos = cut?.position ?? null;
  const stood = useLoad(
    async (signal) => {
      if (pos === null) return null;
      const q = { as_of_position: pos };
      const [e, assumptions, milestones, stakeholders, comms] = await Promise.all([
        ok(client.GET('/v1/engagements/{engagement_id}', { params: { path, query: q }, signal })),
        ok(client.GET('/v1/engagements/{engagement_id}/assumptions', { params: { path, query: { ...q, limit: 200 } }, signal })),
        ok(client.GET('/v1/engagements/{engagement_id}/milestones', { params: { path, query: { ...q, limit: 200 } }, signal })),
        ok(client.GET('/v1/engagements/{engagement_id}/stakeholders', { params: { path, query: { ...q, limit: 200 } }, signal })),
        ok(client.GET('/v1/engagements/{engagement_id}/communications', { params: { path, query: { ...q, limit: 200 } }, signal })),
      ]);
      return { e, assumptions: assumptions.items, milestones: milestones.items, stakeholders: stakeholders.items, comms: comms.items };
    },
    [eng.id, pos],
  );

  const span = Math.max(1, Math.ceil((end.getTime() - start.getTime()) / hour));
  const sliderValue = Math.round((moment.getTime() - start.getTime()) / hour);
  const person = people.find((p) => p.id === who);
  const items = know.data?.items ?? [];

  const setFrom = (d: Date) => {
    const c = clamp(d, start, end);
    setMoment(c);
    setTyped(toLocalInput(c));
  };

  return (
    <div class="knowledge">
      <Card title={t('kn.title')} id="kn-controls">
        <p class="muted">{t('kn.lead')}</p>
        <div class="kn-controls">
          <div class="field">
            <label for="kn-who">{t('kn.who')}</label>
            <select id="kn-who" value={who} onChange={(e) => setWho(e.currentTarget.value)}>
              {people.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({t(`party.${p.party}`)})
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="kn-when">{t('kn.when')}</label>
            <input
              id="kn-when"
              type="datetime-local"
              value={typed}
              min={toLocalInput(start)}
              max={toLocalInput(end)}
              aria-describedby="kn-when-hint"
              onInput={(e) => {
                const v = e.currentTarget.value;
                setTyped(v);
                const d = fromLocalInput(v);
                if (d) setMoment(clamp(d, start, end));
              }}
            />
            <p class="hint" id="kn-when-hint">
              {t('kn.range', { from: i18n.date(start.toISOString()), to: i18n.date(end.toISOString()) })}
            </p>
          </div>
        </div>
        <div class="field">
          <label for="kn-slider">{t('kn.slider')}</label>
          <input
            id="kn-slider"
            class="slider"
            type="range"
            min={0}
            max={span}
            step={1}
            value={sliderValue}
            aria-valuetext={i18n.dateTime(moment.toISOString())}
            onInput={(e) => setFrom(new Date(start.getTime() + Number(e.currentTarget.value) * hour))}
          />
          <div class="slider-scale" aria-hidden="true">
            <span>{i18n.date(start.toISOString())}</span>
            <span>{i18n.date(end.toISOString())}</span>
          </div>
        </div>
        <p class="kn-moment" data-testid="kn-moment">
          {t('kn.asOf', { date: i18n.dateTime(settled.toISOString()) })}
          {cut && <span class="muted"> · {t('kn.factsSoFar', { n: cut.count })}</span>}
        </p>
      </Card>

      <div class="grid-2">
        <Card
          title={person ? t('kn.knew', { name: person.name }) : t('kn.knewNobody')}
          id="kn-knew"
          aside={person && <PartyChip party={person.party} i18n={i18n} />}
        >
          {know.error ? (
            <LoadError error={know.error} i18n={i18n} />
          ) : !know.data && know.loading ? (
            <Loading i18n={i18n} />
          ) : items.length === 0 ? (
            <Empty>{t('kn.nothing')}</Empty>
          ) : (
            <div data-testid="knowledge">
              {kinds.map((k) => {
                const ks = items.filter((x) => x.kind === k);
                if (ks.length === 0) return null;
                return (
                  <div key={k} class="kn-group">
                    <h4>
                      {t(`kn.kind.${k}` as MsgKey)} <span class="count">{i18n.num(ks.length, 0)}</span>
                    </h4>
                    <ul class="items">
                      {ks.map((x) => (
                        <KnowItem key={`${x.position}-${x.kind}`} x={x} />
                      ))}
                    </ul>
                  </div>
                );
              })}
            </div>
          )}
        </Card>

        <Card title={t('kn.stood')} id="kn-stood">
          {history.error ? (
            <LoadError error={history.error} i18n={i18n} />
          ) : pos === null && history.data ? (
            <Empty>{t('kn.notYet')}</Empty>
          ) : stood.error ? (
            <LoadError error={stood.error} i18n={i18n} />
          ) : !stood.data ? (
            <Loading i18n={i18n} />
          ) : (
            <div data-testid="stood">
              <PhaseStepper phase={stood.data.e.phase} history={stood.data.e.phase_history} i18n={i18n} />
              <div class="stats stats-3">
                <Stat label={t('kn.stakeholders')} value={i18n.num(stood.data.stakeholders.filter((s) => !s.left).length, 0)} />
                <Stat
                  label={t('kn.openAssumptions')}
                  value={i18n.num(stood.data.assumptions.filter((a) => a.status === 'open').length, 0)}
                  tone={stood.data.assumptions.some((a) => a.status === 'open') ? 'warn' : undefined}
                />
                <Stat label={t('kn.informations')} value={i18n.num(stood.data.comms.length, 0)} />
              </div>
              {stood.data.milestones.length > 0 && (
                <>
                  <h4>{t('dl.milestones')}</h4>
                  <ul class="items">
                    {stood.data.milestones.map((m) => (
                      <li key={m.id} class="item">
                        <strong>{m.title}</strong> — {t('kn.due', { date: i18n.date(m.due_date) })}
                        {m.delay_ids.length > 0 && (
                          <>
                            {' '}
                            <Flag tone="warn">{t('kn.delayed', { n: m.delay_ids.length })}</Flag>
                          </>
                        )}
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </div>
          )}
        </Card>
      </div>
    </div>
  );
}

function KnowItem({ x }: { x: KnowledgeItem }) {
  const { i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  return (
    <li class="item">
      <p>
        {x.subject || eng.dir.label(x.ref_id, '')}
        {x.channel && <span class="muted small"> · {t(`channel.${x.channel}` as MsgKey)}</span>}
      </p>
      <p class="muted small">
        {i18n.dateTime(x.at)}
        {x.by && ` · ${eng.dir.label(x.by, '')}`}
      </p>
    </li>
  );
}
