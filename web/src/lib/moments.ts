// Moments: the values of date-time controls, and claimed times beside
// recorded ones.

/** A datetime-local input's value ("2026-10-01T09:30") for a moment, in local time. */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The moment of a datetime-local value, or null when it is not one. */
export function fromLocalInput(v: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v)) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Clamps a moment into [from, to]. */
export function clamp(d: Date, from: Date, to: Date): Date {
  return new Date(Math.min(Math.max(d.getTime(), from.getTime()), to.getTime()));
}

/**
 * Whether a claimed time says something the recorded one does not: a fact
 * said to have happened more than a minute before it was recorded (the
 * forms' "when did it happen" has a minute's precision).
 */
export function claimDiffers(occurred: string | undefined, recorded: string): occurred is string {
  if (!occurred) return false;
  const o = Date.parse(occurred);
  const r = Date.parse(recorded);
  return !Number.isNaN(o) && !Number.isNaN(r) && Math.abs(r - o) > 60_000;
}
