// Turns a problem+json answer into what a form shows: an error under each
// field the problem names (by JSON pointer), and the rest at the top.
import type { Problem } from '../api/types';

export interface FormErrors {
  /** Message per top-level body field ("new_due_date"). */
  fields: Record<string, string>;
  /** What belongs to no field of the form. */
  general: string[];
}

/** The top-level field a JSON pointer names: "/options/2" → "options". */
export function pointerField(pointer: string | undefined): string | null {
  if (!pointer || pointer === '/') return null;
  const first = pointer.split('/')[1];
  if (first === undefined || first === '') return null;
  return first.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * Spreads a problem over a form's fields. Errors on fields the form does
 * not show (or on parameters) go to the general list, as does the detail
 * when no field got it.
 */
export function formErrors(
  p: Problem,
  formFields: readonly string[],
  fallback: string,
  translate: (code: string) => string | null = () => null,
): FormErrors {
  const out: FormErrors = { fields: {}, general: [] };
  // A rule of the domain has one code: said in the user's language when
  // the app knows it, else in the server's words.
  const said = translate(p.code);
  for (const e of p.errors ?? []) {
    const f = pointerField(e.pointer);
    const text = said ?? e.detail;
    if (f && formFields.includes(f)) {
      out.fields[f] = out.fields[f] && out.fields[f] !== text ? `${out.fields[f]} ${text}` : text;
    } else if (!out.general.includes(text)) {
      out.general.push(text);
    }
  }
  const detail = said ?? p.detail ?? p.title ?? fallback;
  if (Object.keys(out.fields).length === 0 && !out.general.includes(detail)) out.general.unshift(detail);
  return out;
}
