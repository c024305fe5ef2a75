import { useApp } from '../app';
import { describe, familyOf, type Directory, type Fact, type Flag as FlagKey } from '../lib/facts';
import { claimDiffers } from '../lib/moments';
import { Claimed, Flag, PartyChip } from './bits';

const flagTone: Record<FlagKey, 'warn' | 'risk' | 'info'> = {
  after_due: 'risk',
  without_client: 'risk',
  not_requested: 'warn',
  late_joiner: 'info',
  rejected: 'warn',
};

export function FactList({
  facts,
  dir,
  compact = false,
  fresh,
}: {
  facts: Fact[];
  dir: Directory;
  compact?: boolean;
  /** Ids of facts to mark as just arrived. */
  fresh?: Set<string>;
}) {
  const { i18n } = useApp();
  const { t } = i18n;
  return (
    <ol class={`facts ${compact ? 'facts-compact' : ''}`}>
      {facts.map((f) => {
        const d = describe(f, dir, i18n);
        const fam = familyOf(f.type) ?? 'other';
        const isFresh = fresh?.has(f.id);
        return (
          <li key={f.id} class={`fact fam-${fam} ${isFresh ? 'fresh' : ''}`} data-type={f.type} data-revision={f.revision}>
            <time class="fact-when" dateTime={f.at}>
              {compact ? i18n.date(f.at) : i18n.dateTime(f.at)}
            </time>
            <div class="fact-body">
              <p class="fact-head">
                <span class="fact-label">{d.label}</span>
                {isFresh && <span class="fact-new">{t('live.new')}</span>}
                {d.flags.map((fl) => (
                  <Flag key={fl} tone={flagTone[fl]}>
                    {t(`flag.${fl}`)}
                  </Flag>
                ))}
              </p>
              {d.text && <p class="fact-text">{d.text}</p>}
              {claimDiffers(f.occurredAt, f.at) && (
                <p class="fact-claimed muted small">
                  <Claimed occurred={f.occurredAt} recorded={f.at} i18n={i18n} time={!compact} />
                </p>
              )}
              <p class="fact-who">
                {dir.label(f.actorId, t('word.someone'))} <PartyChip party={dir.party(f.actorId)} i18n={i18n} />
              </p>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
