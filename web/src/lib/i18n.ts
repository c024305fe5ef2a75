// Translation and locale-aware formatting. The dictionaries are plain
// objects; French must have every key English has (the type says so), and a
// plural entry picks its form with Intl.PluralRules.
import { en } from '../locales/en';
import { fr } from '../locales/fr';

export type Lang = 'en' | 'fr';
export type Plural = { one: string; other: string };
export type Entry = string | Plural;
export type MsgKey = keyof typeof en;
export type Dict = Record<MsgKey, Entry>;
export type Vars = Record<string, string | number>;

const dicts: Record<Lang, Dict> = { en, fr };
const locales: Record<Lang, string> = { en: 'en-GB', fr: 'fr-FR' };

/** The language to start with: the saved choice, else the browser's. */
export function initialLang(saved: string | null, browser: readonly string[]): Lang {
  if (saved === 'en' || saved === 'fr') return saved;
  for (const l of browser) {
    const p = l.toLowerCase().slice(0, 2);
    if (p === 'fr' || p === 'en') return p;
  }
  return 'en';
}

export interface I18n {
  lang: Lang;
  locale: string;
  t: (key: MsgKey, vars?: Vars) => string;
  has: (key: string) => key is MsgKey;
  date: (iso: string | undefined | null) => string;
  dateTime: (iso: string | undefined | null) => string;
  num: (n: number, digits?: number) => string;
  signed: (n: number, digits?: number) => string;
  days: (n: number) => string;
  relative: (iso: string, now?: Date) => string;
  list: (items: string[]) => string;
}

export function makeI18n(lang: Lang): I18n {
  const dict = dicts[lang];
  const locale = locales[lang];
  const plural = new Intl.PluralRules(locale);
  const dateFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
  const dateTimeFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const rel = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const listFmt = new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' });
  const nums = new Map<string, Intl.NumberFormat>();
  const numFmt = (digits: number, sign: boolean) => {
    const k = `${digits}/${sign}`;
    let f = nums.get(k);
    if (!f) {
      f = new Intl.NumberFormat(locale, {
        maximumFractionDigits: digits,
        minimumFractionDigits: 0,
        signDisplay: sign ? 'exceptZero' : 'auto',
      });
      nums.set(k, f);
    }
    return f;
  };
  const num = (n: number, digits = 1) => numFmt(digits, false).format(n);

  const t = (key: MsgKey, vars: Vars = {}): string => {
    const e = dict[key] ?? en[key] ?? key;
    let s: string;
    if (typeof e === 'string') s = e;
    else {
      const n = typeof vars.n === 'number' ? vars.n : Number(vars.n ?? 0);
      s = plural.select(n) === 'one' ? e.one : e.other;
    }
    return s.replace(/\{(\w+)\}/g, (_, name: string) => {
      const v = vars[name];
      if (v === undefined) return `{${name}}`;
      return typeof v === 'number' ? num(v) : v;
    });
  };

  const parse = (iso: string | undefined | null) => {
    if (!iso) return null;
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? null : d;
  };

  return {
    lang,
    locale,
    t,
    has: (key: string): key is MsgKey => key in dict,
    date: (iso) => {
      const d = parse(iso);
      return d ? dateFmt.format(d) : '—';
    },
    dateTime: (iso) => {
      const d = parse(iso);
      return d ? dateTimeFmt.format(d) : '—';
    },
    num,
    signed: (n, digits = 1) => numFmt(digits, true).format(n),
    days: (n) => t('unit.days', { n: Math.round(n * 10) / 10 }),
    relative: (iso, now = new Date()) => {
      const d = parse(iso);
      if (!d) return '—';
      const secs = (d.getTime() - now.getTime()) / 1000;
      const abs = Math.abs(secs);
      if (abs < 60) return rel.format(Math.round(secs), 'second');
      if (abs < 3600) return rel.format(Math.round(secs / 60), 'minute');
      if (abs < 86400) return rel.format(Math.round(secs / 3600), 'hour');
      return rel.format(Math.round(secs / 86400), 'day');
    },
    list: (items) => listFmt.format(items),
  };
}
