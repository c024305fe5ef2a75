import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, ok } from '../api/client';
import type { FeedEvent, Party, Stakeholder } from '../api/types';
import { useApp } from '../app';
import { allowedActions, sideOf, type Action, type Side } from '../lib/actions';
import { loadEngagementData } from '../lib/data';
import { seeCheckpoint } from '../lib/evidence';
import { describe, fromFeedEvent, type Directory, type Fact } from '../lib/facts';
import { directoryOf, type EngagementData } from '../lib/options';
import { href, type Route, type Tab } from '../lib/router';
import { openFeed, type FeedStatus } from '../lib/sse';
import { useLoad } from '../lib/useLoad';
import { LoadError, Loading, Notice, PartyChip, PhasePill } from '../ui/bits';
import { Act } from './Act';
import { Integrity } from './Integrity';
import { Knowledge } from './Knowledge';
import { Raid } from './Raid';
import { Overview } from './Overview';
import { Communications, Decisions, Delays, Indicators, Requirements } from './Registers';
import { Timeline } from './Timeline';

export interface Live {
  status: FeedStatus;
  /** Facts that arrived since the page opened, oldest first. */
  facts: Fact[];
  /** The global position of the latest fact known (0: none yet). */
  position: number;
  /** The engagement's latest known revision. */
  revision: number;
  /** The position of the last message the feed delivered. */
  feed: number;
}

export interface EngState {
  id: string;
  data: EngagementData;
  dir: Directory;
  live: Live;
  /** Position to pass as min_position so that read models include the latest fact. */
  tick: number;
  me: Stakeholder | undefined;
  side: Side | null;
  actions: Action[];
  /** Records the outcome of one's own write: its events' positions, the new revision. */
  wrote: (positions: number[], revision: number) => void;
  route: Extract<Route, { page: 'engagement' }>;
}

export const EngCtx = createContext<EngState | null>(null);

export function useEng(): EngState {
  const e = useContext(EngCtx);
  if (!e) throw new Error('useEng outside an engagement');
  return e;
}

function useDebounced<T>(v: T, ms: number): T {
  const [d, setD] = useState(v);
  useEffect(() => {
    const h = setTimeout(() => setD(v), ms);
    return () => clearTimeout(h);
  }, [v, ms]);
  return d;
}

const tabList: { tab: Tab; key: `tab.${Tab}` }[] = [
  { tab: 'overview', key: 'tab.overview' },
  { tab: 'timeline', key: 'tab.timeline' },
  { tab: 'requirements', key: 'tab.requirements' },
  { tab: 'delays', key: 'tab.delays' },
  { tab: 'decisions', key: 'tab.decisions' },
  { tab: 'communications', key: 'tab.communications' },
  { tab: 'indicators', key: 'tab.indicators' },
  { tab: 'raid', key: 'tab.raid' },
  { tab: 'knowledge', key: 'tab.knowledge' },
  { tab: 'integrity', key: 'tab.integrity' },
  { tab: 'act', key: 'tab.act' },
];

export function EngagementShell({ route }: { route: Extract<Route, { page: 'engagement' }> }) {
  const { client, i18n, session, me: principal } = useApp();
  const { t } = i18n;
  const id = route.id;
  const [live, setLive] = useState<Live>({ status: 'connecting', facts: [], position: 0, revision: -1, feed: 0 });
  const tick = useDebounced(live.position, 200);
  const data = useLoad((signal) => loadEngagementData(client, id, tick || undefined, signal), [id, tick]);
  const base = useRef<number | null>(null);
  if (data.data && base.current === null) base.current = data.data.etag;

  // The live feed starts once the engagement is known, from the position
  // the read models are at (or from the start when they cannot say).
  const started = data.data !== undefined;
  useEffect(() => {
    if (!started) return;
    let stop = () => {};
    let cancelled = false;
    const ctrl = new AbortController();
    ok(client.GET('/v1/engagements/{engagement_id}/summary', { params: { path: { engagement_id: id } }, signal: ctrl.signal }))
      .then((s) => String(s.position))
      .catch(() => '')
      .then((from) => {
        if (cancelled) return;
        const url = new URL(`${session.server}/v1/engagements/${encodeURIComponent(id)}/feed`, location.href).toString();
        stop = openFeed({
          url,
          token: session.token,
          lastEventId: from,
          onStatus: (status) => setLive((l) => ({ ...l, status })),
          onMessage: (m) => {
            let f: Fact;
            try {
              f = fromFeedEvent(JSON.parse(m.data) as FeedEvent);
            } catch {
              return;
            }
            setLive((l) => {
              if (f.position <= l.feed) return l;
              const isNew = base.current === null || f.revision > base.current;
              return {
                ...l,
                feed: f.position,
                position: Math.max(l.position, f.position),
                revision: Math.max(l.revision, f.revision),
                facts: isNew ? [...l.facts, f].slice(-200) : l.facts,
              };
            });
          },
        });
      });
    return () => {
      cancelled = true;
      ctrl.abort();
      stop();
    };
  }, [started, id, client, session]);

  // The log's latest checkpoint, so that the client's first approval is
  // already witnessed (the receipts of writes keep it current after).
  useEffect(() => {
    const ctrl = new AbortController();
    ok(client.GET('/v1/evidence/checkpoint', { signal: ctrl.signal })).then(
      (cp) => seeCheckpoint(sessionStorage, cp.checkpoint),
      () => {}, // no log (evidence unavailable): approvals go unwitnessed
    );
    return () => ctrl.abort();
  }, [client]);

  // Positions this tab wrote itself: not announced as arrivals.
  const own = useRef(new Set<number>());
  const wrote = useCallback((positions: number[], revision: number) => {
    for (const p of positions) own.current.add(p);
    setLive((l) => ({ ...l, position: Math.max(l.position, ...positions), revision: Math.max(l.revision, revision) }));
  }, []);

  const state = useMemo<EngState | null>(() => {
    const d = data.data;
    if (!d) return null;
    const dir = directoryOf(d);
    for (const f of live.facts) dir.learn(f);
    const me = d.engagement.stakeholder_id ? d.stakeholders.find((s) => s.id === d.engagement.stakeholder_id) : undefined;
    const side = principal.role === 'auditor' || !me || me.left ? null : sideOf(me.party);
    return {
      id,
      data: d,
      dir,
      live: { ...live, revision: Math.max(live.revision, d.etag) },
      tick,
      me,
      side,
      actions: allowedActions(side, d.engagement.phase),
      wrote,
      route,
    };
  }, [data.data, live, tick, id, principal.role, route, wrote]);

  if (!state) {
    if (data.error) {
      if (data.error instanceof ApiError && data.error.status === 404) {
        return (
          <div class="page">
            <Notice tone="warn" title={t('nf.engagement')} role="alert">
              <p>{t('nf.engagementWhy')}</p>
              <p>
                <a href="#/">{t('nf.back')}</a>
              </p>
            </Notice>
          </div>
        );
      }
      return (
        <div class="page">
          <LoadError error={data.error} i18n={i18n} />
        </div>
      );
    }
    return (
      <div class="page">
        <Loading i18n={i18n} />
      </div>
    );
  }

  const e = state.data.engagement;
  const client_ = e.parties.find((p) => p.party === 'client');
  const supplier = e.parties.find((p) => p.party === 'supplier');
  const visibleTabs = tabList.filter((x) => x.tab !== 'act' || state.actions.length > 0);
  const tab = route.tab === 'act' && state.actions.length === 0 ? 'overview' : route.tab;

  return (
    <EngCtx.Provider value={state}>
      <div class="page">
        <nav class="crumbs" aria-label={t('nav.breadcrumb')}>
          <a href="#/">{t('list.title')}</a> <span aria-hidden="true">/</span> <span>{e.title}</span>
        </nav>
        <header class="eng-head">
          <div class="eng-head-main">
            <h1>{e.title}</h1>
            <p class="eng-parties">
              {client_?.name} <span class="muted">{t('word.and')}</span> {supplier?.name}
              {e.parties
                .filter((p) => p.party === 'provider')
                .map((p) => (
                  <span key={p.name}>
                    {' '}
                    <span class="muted">·</span> {p.name} <span class="muted">({t('party.provider')})</span>
                  </span>
                ))}
            </p>
          </div>
          <div class="eng-head-side">
            <PhasePill phase={e.phase} i18n={i18n} />
            <LiveBadge status={state.live.status} />
            <p class="you" data-testid="you">
              {state.me && principal.role !== 'auditor' ? (
                <>
                  {t('you.as', { name: state.me.name })} <PartyChip party={state.me.party as Party} i18n={i18n} />
                  {state.me.role && <span class="muted"> · {state.me.role}</span>}
                </>
              ) : principal.role === 'auditor' ? (
                <span>{t('you.auditor')}</span>
              ) : (
                <span>{t('you.observer')}</span>
              )}
            </p>
          </div>
        </header>
        <nav class="tabs" aria-label={t('nav.sections')}>
          <ul>
            {visibleTabs.map((x) => (
              <li key={x.tab}>
                <a
                  href={href({ page: 'engagement', id, tab: x.tab })}
                  aria-current={tab === x.tab ? 'page' : undefined}
                  class={x.tab === 'act' ? 'tab-act' : ''}
                >
                  {t(x.key)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <Arrivals facts={state.live.facts} dir={state.dir} own={own.current} />
        <div class="tab-body">
          {tab === 'overview' && <Overview />}
          {tab === 'timeline' && <Timeline />}
          {tab === 'requirements' && <Requirements />}
          {tab === 'delays' && <Delays />}
          {tab === 'decisions' && <Decisions />}
          {tab === 'communications' && <Communications />}
          {tab === 'indicators' && <Indicators />}
          {tab === 'raid' && <Raid />}
          {tab === 'knowledge' && <Knowledge />}
          {tab === 'integrity' && <Integrity />}
          {tab === 'act' && <Act />}
        </div>
      </div>
    </EngCtx.Provider>
  );
}

function LiveBadge({ status }: { status: FeedStatus }) {
  const { i18n } = useApp();
  const on = status === 'open';
  return (
    <span class={`live ${on ? 'live-on' : 'live-off'}`} data-testid="live" data-status={status}>
      <span class="dot" aria-hidden="true" />
      {on ? i18n.t('live.on') : status === 'closed' ? i18n.t('live.closed') : i18n.t('live.connecting')}
    </span>
  );
}

/**
 * Announces facts recorded elsewhere (by someone else, or in another tab)
 * while the page is open.
 */
function Arrivals({ facts, dir, own }: { facts: Fact[]; dir: Directory; own: Set<number> }) {
  const { i18n } = useApp();
  const others = facts.filter((f) => !own.has(f.position));
  const last = others[others.length - 1];
  const [dismissed, setDismissed] = useState<string | null>(null);
  const show = last && last.id !== dismissed;
  return (
    <div class="arrivals" role="status" aria-live="polite">
      {show && last && (
        <div class="arrival" data-testid="arrival">
          <span class="arrival-tag">{i18n.t('live.new')}</span>
          <span>
            <strong>{dir.label(last.actorId, i18n.t('word.someone'))}</strong> — {describe(last, dir, i18n).label}
            {': '}
            {describe(last, dir, i18n).text}
          </span>
          <button type="button" class="btn btn-quiet btn-small" onClick={() => setDismissed(last.id)}>
            {i18n.t('live.dismiss')}
          </button>
        </div>
      )}
    </div>
  );
}
