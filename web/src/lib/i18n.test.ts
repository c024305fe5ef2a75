import { describe, expect, it } from 'vitest';
import { en } from '../locales/en';
import { fr } from '../locales/fr';
import { initialLang, makeI18n } from './i18n';

describe('i18n', () => {
  it('starts in the saved language, else the browser’s, else English', () => {
    expect(initialLang('fr', ['en-US'])).toBe('fr');
    expect(initialLang(null, ['fr-CA', 'en'])).toBe('fr');
    expect(initialLang(null, ['de-DE', 'en-GB'])).toBe('en');
    expect(initialLang('xx', ['de'])).toBe('en');
  });

  it('picks plural forms by the language’s rules', () => {
    const e = makeI18n('en');
    const f = makeI18n('fr');
    expect(e.t('unit.days', { n: 1 })).toBe('1 day');
    expect(e.t('unit.days', { n: 0 })).toBe('0 days');
    expect(f.t('unit.days', { n: 0 })).toBe('0 jour'); // French: 0 is singular
    expect(f.t('unit.days', { n: 2 })).toBe('2 jours');
    expect(f.t('reason.late_delays', { n: 2 })).toBe('2 retards annoncés après l’échéance');
  });

  it('formats numbers and dates in the locale', () => {
    const e = makeI18n('en');
    const f = makeI18n('fr');
    expect(f.num(2.5)).toBe('2,5');
    expect(e.num(2.5)).toBe('2.5');
    expect(f.signed(-2)).toBe('-2');
    expect(e.signed(3)).toBe('+3');
    expect(f.date('2026-08-06T19:00:00Z')).toBe('6 août 2026');
    expect(e.date('2026-08-06T19:00:00Z')).toBe('6 Aug 2026');
    expect(e.date(undefined)).toBe('—');
    expect(f.list(['Claire', 'Nicolas'])).toBe('Claire et Nicolas');
    expect(e.relative('2026-01-01T00:00:00Z', new Date('2026-01-03T00:00:00Z'))).toBe('2 days ago');
  });

  it('has a French text for every English one, and the same placeholders', () => {
    const holes = (s: unknown) => JSON.stringify(s).match(/\{\w+\}/g)?.sort() ?? [];
    for (const k of Object.keys(en) as (keyof typeof en)[]) {
      expect(fr[k], k).toBeTruthy();
      expect(holes(fr[k]), k).toEqual(holes(en[k]));
    }
  });

  it('leaves an unknown placeholder visible rather than empty', () => {
    expect(makeI18n('en').t('you.as')).toBe('You: {name}');
  });
});
