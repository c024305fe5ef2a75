// The health of an engagement, drawn from its transparency report: which
// anti-patterns of the domain show, and how serious they are.
import type { TransparencyReport } from '../api/types';

export type Level = 'good' | 'watch' | 'risk';

export type ReasonKey =
  | 'late_delays'
  | 'decisions_without_client'
  | 'client_not_informed'
  | 'never_informed'
  | 'unbriefed'
  | 'stale_assumptions'
  | 'old_questions'
  | 'unacknowledged'
  | 'indicators_off'
  | 'indicators_unmeasured'
  | 'features_not_accepted';

export interface Reason {
  key: ReasonKey;
  /** How many (days for client_not_informed). */
  n: number;
  severe: boolean;
}

export interface Health {
  level: Level;
  reasons: Reason[];
}

/** Days without informing the client after which it is a risk. */
export const informedRiskDays = 30;
/** ...and after which it deserves a look. */
export const informedWatchDays = 14;
/** Age from which an open question or an unacknowledged message counts. */
export const staleDays = 7;

export function health(r: TransparencyReport): Health {
  const reasons: Reason[] = [];
  const add = (key: ReasonKey, n: number, severe: boolean) => {
    if (n > 0) reasons.push({ key, n, severe });
  };
  add('late_delays', r.delays.disclosed_after_due, true);
  add('decisions_without_client', r.decisions.without_client.length, true);
  const days = r.days_since_client_informed;
  if (days !== null && days !== undefined && days >= informedWatchDays) {
    add('client_not_informed', Math.floor(days), days >= informedRiskDays);
  }
  add('never_informed', r.never_informed, true);
  add('unbriefed', r.unbriefed_stakeholders.length, false);
  add('stale_assumptions', r.open_assumptions.older_than_7_days.length, false);
  add('old_questions', r.open_questions.filter((q) => q.age_days >= staleDays).length, false);
  add('unacknowledged', r.not_acknowledged.filter((i) => i.age_days >= staleDays).length, false);
  add('indicators_off', r.indicators.off_target.length, false);
  add('indicators_unmeasured', r.indicators.unmeasured.length, false);
  add('features_not_accepted', r.features.delivered_not_accepted.length, false);
  // Severe first, then by count.
  reasons.sort((a, b) => Number(b.severe) - Number(a.severe) || b.n - a.n);
  const level: Level = reasons.some((x) => x.severe) ? 'risk' : reasons.length > 0 ? 'watch' : 'good';
  return { level, reasons };
}
