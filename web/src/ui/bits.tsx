import type { ComponentChildren } from 'preact';
import { ApiError, NetworkError } from '../api/client';
import type { Party, Phase } from '../api/types';
import type { I18n } from '../lib/i18n';
import type { Level } from '../lib/health';
import { claimDiffers } from '../lib/moments';

export function Notice({
  tone,
  title,
  children,
  role,
}: {
  tone: 'info' | 'ok' | 'warn' | 'risk';
  title: string;
  children?: ComponentChildren;
  role?: 'alert' | 'status';
}) {
  return (
    <div class={`notice notice-${tone}`} role={role}>
      <p class="notice-title">{title}</p>
      {children && <div class="notice-body">{children}</div>}
    </div>
  );
}

export function Card({
  title,
  children,
  class: cls = '',
  id,
  aside,
  tone,
}: {
  title?: string;
  children: ComponentChildren;
  class?: string;
  id?: string;
  aside?: ComponentChildren;
  tone?: 'warn' | 'risk' | 'ok';
}) {
  const hid = id ? `${id}-title` : undefined;
  return (
    <section class={`card ${tone ? `card-${tone}` : ''} ${cls}`} aria-labelledby={hid} id={id}>
      {title && (
        <header class="card-head">
          <h3 id={hid}>{title}</h3>
          {aside}
        </header>
      )}
      {children}
    </section>
  );
}

export function PartyChip({ party, i18n }: { party: Party | undefined; i18n: I18n }) {
  if (!party) return null;
  return <span class={`chip chip-${party}`}>{i18n.t(`party.${party}`)}</span>;
}

export function PhasePill({ phase, i18n }: { phase: Phase; i18n: I18n }) {
  return <span class={`pill pill-phase pill-${phase}`}>{i18n.t(`phase.${phase}`)}</span>;
}

export function HealthPill({ level, i18n }: { level: Level; i18n: I18n }) {
  return (
    <span class={`pill pill-health pill-${level}`}>
      <span class="dot" aria-hidden="true" />
      {i18n.t(`health.${level}`)}
    </span>
  );
}

export function Flag({ tone, children }: { tone: 'warn' | 'risk' | 'ok' | 'info'; children: ComponentChildren }) {
  return <span class={`flag flag-${tone}`}>{children}</span>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function Loading({ i18n }: { i18n: I18n }) {
  return (
    <p class="loading" role="status">
      {i18n.t('state.loading')}
    </p>
  );
}

/** What went wrong with a read, in words. */
export function LoadError({ error, i18n }: { error: unknown; i18n: I18n }) {
  let title = i18n.t('err.generic');
  let detail: string | undefined;
  if (error instanceof ApiError) {
    if (error.status === 404) title = i18n.t('err.notFound');
    else if (error.status === 503) title = i18n.t('err.unavailable');
    else if (error.status === 403) title = i18n.t('err.forbidden');
    detail = error.problem?.detail;
  } else if (error instanceof NetworkError) {
    title = i18n.t('err.network');
  }
  return (
    <Notice tone="risk" title={title} role="alert">
      {detail && <p>{detail}</p>}
    </Notice>
  );
}

export function Stat({
  label,
  value,
  tone,
  note,
  testid,
}: {
  label: string;
  value: ComponentChildren;
  tone?: 'warn' | 'risk' | 'ok';
  note?: ComponentChildren;
  testid?: string;
}) {
  return (
    <div class={`stat ${tone ? `stat-${tone}` : ''}`} data-testid={testid}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
      {note && <div class="stat-note">{note}</div>}
    </div>
  );
}

/** "said to have happened on …, recorded on …" where a claimed time differs from the recorded one. */
export function Claimed({ occurred, recorded, i18n, time = false }: { occurred: string | undefined; recorded: string; i18n: I18n; time?: boolean }) {
  if (!claimDiffers(occurred, recorded)) return null;
  const f = time ? i18n.dateTime : i18n.date;
  return (
    <span class="claimed" data-testid="claimed">
      {i18n.t('claim.said', { occurred: f(occurred), recorded: f(recorded) })}
    </span>
  );
}
