// "Who knew what, when": turning a moment chosen on a slider or a
// date-time control into the cut of the engagement's history it means.

export interface Cut {
  /** Global position of the last fact that had happened by the moment; null: none had. */
  position: number | null;
  /** How many facts had happened by then. */
  count: number;
}

/**
 * The facts (in recording order) that had happened by `moment`. A fact
 * recorded after a later one but dated earlier (a backdated record) ends the
 * prefix: the engagement "as it stood" is a prefix of its stream.
 */
export function cutAt(facts: readonly { position: number; at: string }[], moment: Date): Cut {
  const m = moment.getTime();
  let count = 0;
  let position: number | null = null;
  for (const f of facts) {
    if (Date.parse(f.at) > m) break;
    count++;
    position = f.position;
  }
  return { position, count };
}

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
