import type { I18n } from '../lib/i18n';
import type { Reason } from '../lib/health';

/** A health reason in words ("1 delay disclosed after its due date"). */
export function reasonText(r: Reason, i18n: I18n): string {
  return i18n.t(`reason.${r.key}`, { n: r.n });
}
