import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ok } from '../api/client';
import type { EventType, Party } from '../api/types';
import { useApp } from '../app';
import { families, fromEventOut, type Fact, type Family } from '../lib/facts';
import { Empty, LoadError } from '../ui/bits';
import { FactList } from '../ui/facts';
import { useEng } from './EngagementShell';

const pageSize = 50;

export function Timeline() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const [family, setFamily] = useState<Family | ''>('');
  const [party, setParty] = useState<Party | ''>('');
  const [items, setItems] = useState<Fact[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined); // undefined: nothing loaded yet
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const gen = useRef(0);

  const load = useCallback(
    async (cursor: string | undefined, reset: boolean) => {
      const my = reset ? ++gen.current : gen.current;
      setBusy(true);
      setError(null);
      try {
        const types = family ? ([...families[family]] as EventType[]) : undefined;
        const page = await ok(
          client.GET('/v1/engagements/{engagement_id}/events', {
            params: {
              path: { engagement_id: eng.id },
              query: { limit: pageSize, ...(cursor ? { cursor } : {}), ...(types ? { type: types } : {}) },
            },
          }),
        );
        if (my !== gen.current) return;
        const facts = page.items.map(fromEventOut);
        for (const f of facts) eng.dir.learn(f);
        setItems((prev) => (reset ? facts : [...prev, ...facts]));
        setNext(page.next_cursor ?? null);
      } catch (e) {
        if (my === gen.current) setError(e);
      } finally {
        if (my === gen.current) setBusy(false);
      }
    },
    [client, eng.id, eng.dir, family],
  );

  useEffect(() => {
    setItems([]);
    setNext(undefined);
    void load(undefined, true);
  }, [load]);

  // More on scroll: load the next page when the end of the list comes into view.
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !next || busy) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void load(next, false);
    });
    io.observe(el);
    return () => io.disconnect();
  }, [next, busy, load]);

  // Facts that arrived live, once the list has reached its end.
  const shown = useMemo(() => {
    const last = items.length ? items[items.length - 1]!.position : 0;
    const liveTail =
      next === null ? eng.live.facts.filter((f) => f.position > last && (!family || (families[family] as readonly string[]).includes(f.type))) : [];
    const all = [...items, ...liveTail];
    return party ? all.filter((f) => eng.dir.party(f.actorId) === party) : all;
  }, [items, next, eng.live.facts, eng.dir, family, party]);
  const fresh = useMemo(() => new Set(eng.live.facts.map((f) => f.id)), [eng.live.facts]);

  return (
    <div class="timeline">
      <div class="toolbar" role="search" aria-label={t('tl.filters')}>
        <div class="field field-inline">
          <label for="tl-kind">{t('tl.kind')}</label>
          <select id="tl-kind" value={family} onChange={(e) => setFamily(e.currentTarget.value as Family | '')}>
            <option value="">{t('tl.allKinds')}</option>
            {(Object.keys(families) as Family[]).map((f) => (
              <option key={f} value={f}>
                {t(`fam.${f}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field field-inline">
          <label for="tl-party">{t('tl.party')}</label>
          <select id="tl-party" value={party} onChange={(e) => setParty(e.currentTarget.value as Party | '')}>
            <option value="">{t('tl.allParties')}</option>
            {(['client', 'supplier', 'provider'] as const).map((p) => (
              <option key={p} value={p}>
                {t(`party.${p}`)}
              </option>
            ))}
          </select>
        </div>
        <p class="muted small toolbar-note">{t('tl.order')}</p>
      </div>
      {error !== null && <LoadError error={error} i18n={i18n} />}
      {next !== undefined && shown.length === 0 && !busy ? (
        <Empty>{t('tl.empty')}</Empty>
      ) : (
        <div data-testid="timeline">
          <FactList facts={shown} dir={eng.dir} fresh={fresh} />
        </div>
      )}
      <div ref={sentinel} class="sentinel" />
      <div class="more">
        {busy ? (
          <p class="loading" role="status">
            {t('state.loading')}
          </p>
        ) : next ? (
          <button type="button" class="btn" onClick={() => void load(next, false)}>
            {t('tl.more')}
          </button>
        ) : next === null && shown.length > 0 ? (
          <p class="muted small">{t('tl.end')}</p>
        ) : null}
      </div>
    </div>
  );
}
