import { useEffect, useState } from 'preact/hooks';
import { ok } from '../api/client';
import type { EventOut } from '../api/types';
import { useApp } from '../app';
import { loadCheckpoint, loadReceipts, receiptFileName, seeCheckpoint, type KeptReceipt } from '../lib/evidence';
import { fromEventOut } from '../lib/facts';
import type { MsgKey } from '../lib/i18n';
import { useLoad } from '../lib/useLoad';
import { Card, Empty, LoadError, Loading, Notice } from '../ui/bits';
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
      <TransparencyLog />
      <div class="grid-2">
        <Receipts />
        <ExportBundle />
      </div>
      <Card title={t('in2.engagement')} id="chain">
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

/** Saves a JSON value as a file the user downloads. */
function save(name: string, value: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function TransparencyLog() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const cp = useLoad(
    async (signal) => {
      const c = await ok(client.GET('/v1/evidence/checkpoint', { signal }));
      seeCheckpoint(sessionStorage, c.checkpoint);
      return c;
    },
    [eng.tick],
  );
  const key = useLoad((signal) => ok(client.GET('/v1/evidence/key', { signal })), []);
  const witnessed = loadCheckpoint(sessionStorage);
  return (
    <Card title={t('in2.tlog')} id="tlog">
      <p class="muted">{t('in2.tlogLead')}</p>
      {cp.error ? (
        <LoadError error={cp.error} i18n={i18n} />
      ) : !cp.data ? (
        <Loading i18n={i18n} />
      ) : (
        <div data-testid="checkpoint">
          <dl class="facts-dl">
            <dt>{t('in2.size')}</dt>
            <dd class="num" data-testid="checkpoint-size">{i18n.num(cp.data.size, 0)}</dd>
            <dt>{t('in2.root')}</dt>
            <dd>
              <code class="hash">{cp.data.root}</code>
            </dd>
            <dt>{t('in2.signed')}</dt>
            <dd>{i18n.dateTime(cp.data.time)}</dd>
            <dt>{t('in2.key')}</dt>
            <dd>{key.data ? <code class="hash" data-testid="public-key">{key.data.public_key}</code> : key.error ? <LoadError error={key.error} i18n={i18n} /> : '…'}</dd>
            {key.data && key.data.previous_keys.length > 0 && (
              <>
                <dt>{t('in2.prevKeys')}</dt>
                <dd>
                  {key.data.previous_keys.map((k) => (
                    <code key={k} class="hash">{k}</code>
                  ))}
                </dd>
              </>
            )}
          </dl>
          <details>
            <summary>{t('in2.note')}</summary>
            <pre class="note">{cp.data.checkpoint}</pre>
          </details>
        </div>
      )}
      <p class="small" data-testid="witness">
        {witnessed ? t('in2.witnessed', { n: i18n.num(witnessed.size, 0) }) : t('in2.noWitness')}
      </p>
    </Card>
  );
}

function Receipts() {
  const { i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  // Re-read on every new fact: one's own writes add receipts.
  const [list, setList] = useState<KeptReceipt[]>(() => loadReceipts(sessionStorage));
  useEffect(() => setList(loadReceipts(sessionStorage)), [eng.live.revision]);
  const mine = list.filter((r) => r.engagement === eng.id).reverse();
  return (
    <Card title={t('in2.receipts')} id="receipts">
      <p class="muted small">{t('in2.receiptsLead')}</p>
      {mine.length === 0 ? (
        <Empty>{t('in2.noReceipts')}</Empty>
      ) : (
        <>
          <ul class="items" data-testid="receipts">
            {mine.map((r) => {
              const name = receiptFileName(r);
              return (
                <li key={name} class="item receipt">
                  <p>
                    <strong>{i18n.has(`act.${r.action}`) ? t(`act.${r.action}` as MsgKey) : r.action}</strong>
                  </p>
                  <p class="muted small">
                    {t('in2.receiptOf', {
                      revision: r.result.events[0]?.revision ?? r.result.revision,
                      size: i18n.num(Number(r.result.receipt?.checkpoint.split('\n')[1] ?? 0), 0),
                      date: i18n.dateTime(r.received),
                    })}
                  </p>
                  <button type="button" class="btn btn-small" data-download={name} onClick={() => save(name, r.result)}>
                    {t('in2.download')} <span class="sr-only">{name}</span>
                  </button>
                </li>
              );
            })}
          </ul>
          <p>
            <button type="button" class="btn" data-testid="download-receipts" onClick={() => mine.forEach((r) => save(receiptFileName(r), r.result))}>
              {t('in2.downloadAll', { n: mine.length })}
            </button>
          </p>
        </>
      )}
    </Card>
  );
}

function ExportBundle() {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const name = `candor-bundle-${eng.id}.json`;
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const b = await ok(client.GET('/v1/engagements/{engagement_id}/export', { params: { path: { engagement_id: eng.id } } }));
      save(name, b);
      setDone(name);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('in2.export')} id="export">
      <p class="muted small">{t('in2.exportLead')}</p>
      <p>
        <button type="button" class="btn btn-primary" data-testid="export" disabled={busy} onClick={() => void run()}>
          {busy ? t('in2.exporting') : t('in2.exportButton')}
        </button>
      </p>
      <div role="status">{done && <p class="small">{t('in2.exported', { name: done })}</p>}</div>
      {error !== null && <LoadError error={error} i18n={i18n} />}
      <p class="muted small">{t('in2.verifyWith')}</p>
      <pre class="cmd">
        candor verify --bundle {name} --receipts ./receipts
      </pre>
    </Card>
  );
}
