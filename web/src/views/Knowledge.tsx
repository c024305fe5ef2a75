import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, ok } from '../api/client';
import type { KnowledgeItem } from '../api/types';
import { useApp } from '../app';
import type { MsgKey } from '../lib/i18n';
import { clamp, fromLocalInput, toLocalInput } from '../lib/moments';
import { useLoad } from '../lib/useLoad';
import { Card, Empty, Flag, LoadError, Loading, PartyChip, Stat } from '../ui/bits';
import { useEng } from './EngagementShell';
import { PhaseStepper } from './Overview';

const hour = 3600_000;
type Basis = 'occurred' | 'recorded';
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
  const [basis, setBasis] = useState<Basis>('occurred');
  useEffect(() => {
    const h = setTimeout(() => setSettled(moment), 250);
    return () => clearTimeout(h);
  }, [moment]);

  const at = settled.toISOString();
  const path = { engagement_id: eng.id };
  const know = useLoad(
    (signal) =>
      who
        ? ok(
            client.GET('/v1/engagements/{engagement_id}/stakeholders/{stakeholder_id}/knowledge', {
              params: {
                path: { ...path, stakeholder_id: who },
                query: { as_of: at, as_of_basis: basis, ...(eng.tick ? { min_position: eng.tick } : {}) },
              },
              signal,
            }),
          )
        : Promise.resolve(null),
    [who, at, basis, eng.tick],
  );
  // The engagement as it stood: the server folds the facts recorded by
  // then, or (as_of_basis=occurred) those that happened by then. Before
  // anything counted, it answers 404: nothing had been recorded yet.
  const stood = useLoad(
    async (signal) => {
      const q = { as_of: at, as_of_basis: basis };
      const [e, assumptions, milestones, stakeholders, comms] = await Promise.all([
        ok(client.GET('/v1/engagements/{engagement_id}', { params: { path, query: q }, signal })),
        ok(client.GET('/v1/engagements/{engagement_id}/assumptions', { params: { path, query: { ...q, limit: 200 } }, signal })),
        ok(client.GET('/v1/engagements/{engagement_id}/milestones', { params: { path, query: { ...q, limit: 200 } }, signal })),
        ok(client.GET('/v1/engagements/{engagement_id}/stakeholders', { params: { path, query: { ...q, limit: 200 } }, signal })),
        ok(client.GET('/v1/engagements/{engagement_id}/communications', { params: { path, query: { ...q, limit: 200 } }, signal })),
      ]);
      return { e, assumptions: assumptions.items, milestones: milestones.items, stakeholders: stakeholders.items, comms: comms.items };
    },
    [eng.id, at, basis, eng.tick],
  );
  const notYet = stood.error instanceof ApiError && stood.error.status === 404;

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
        <fieldset class="field kn-basis" aria-describedby="kn-basis-hint">
          <legend>{t('kn.basis')}</legend>
          <div class="checks">
            {(['occurred', 'recorded'] as const).map((b) => (
              <label key={b} class="check">
                <input type="radio" name="kn-basis" value={b} checked={basis === b} onChange={() => setBasis(b)} /> {t(`kn.basis.${b}`)}
              </label>
            ))}
          </div>
          <p class="hint" id="kn-basis-hint">
            {t('kn.basisHint')}
          </p>
        </fieldset>
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
          <span class="muted"> · {t(`kn.basis.${basis}`)}</span>
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
          {notYet ? (
            <Empty>{basis === 'recorded' ? t('kn.notRecorded') : t('kn.notYet')}</Empty>
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
