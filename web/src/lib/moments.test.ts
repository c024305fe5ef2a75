import { describe, expect, it } from 'vitest';
import { clamp, claimDiffers, fromLocalInput, toLocalInput } from './moments';
import { cleanServer, cleanToken, clearSession, loadSession, saveSession } from './session';
import { href, parseRoute } from './router';

describe('moments', () => {
  it('tells a claimed time apart from the recorded one only beyond a minute', () => {
    const rec = '2026-11-09T10:00:00Z';
    expect(claimDiffers(undefined, rec)).toBe(false);
    expect(claimDiffers('2026-11-09T09:59:30Z', rec)).toBe(false);
    expect(claimDiffers('2026-11-03T10:00:00Z', rec)).toBe(true);
    expect(claimDiffers('not a date', rec)).toBe(false);
  });
  it('round-trips datetime-local values and clamps', () => {
    const d = new Date(2026, 9, 1, 9, 30);
    expect(toLocalInput(d)).toBe('2026-10-01T09:30');
    expect(fromLocalInput('2026-10-01T09:30')?.getTime()).toBe(d.getTime());
    expect(fromLocalInput('01/10/2026')).toBeNull();
    const a = new Date(0);
    const b = new Date(1000);
    expect(clamp(new Date(5000), a, b)).toEqual(b);
  });
});

describe('session', () => {
  it('cleans what people paste', () => {
    expect(cleanToken('  cnd_abc \n')).toBe('cnd_abc');
    expect(cleanToken('Authorization: Bearer cnd_abc')).toBe('cnd_abc');
    expect(cleanToken('"cnd_abc"')).toBe('cnd_abc');
    expect(cleanServer('')).toBe('');
    expect(cleanServer('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(cleanServer('ftp://x')).toBeNull();
    expect(cleanServer('not a url')).toBeNull();
  });
  it('keeps the session in the storage it is given, and nothing else', () => {
    const m = new Map<string, string>();
    const store = {
      getItem: (k: string) => m.get(k) ?? null,
      setItem: (k: string, v: string) => void m.set(k, v),
      removeItem: (k: string) => void m.delete(k),
    };
    expect(loadSession(store)).toBeNull();
    saveSession(store, { token: 'cnd_x', server: '' });
    expect(loadSession(store)).toEqual({ token: 'cnd_x', server: '' });
    clearSession(store);
    expect(loadSession(store)).toBeNull();
    m.set('candor.session', '{broken');
    expect(loadSession(store)).toBeNull();
  });
});

describe('router', () => {
  it.each([
    ['', { page: 'engagements' }],
    ['#/', { page: 'engagements' }],
    ['#/?phase=delivery&cursor=abc', { page: 'engagements', phase: 'delivery', cursor: 'abc' }],
    ['#/e/E1', { page: 'engagement', id: 'E1', tab: 'overview' }],
    ['#/e/E1/timeline', { page: 'engagement', id: 'E1', tab: 'timeline' }],
    ['#/e/E1/act/discloseDelay?target=M1', { page: 'engagement', id: 'E1', tab: 'act', action: 'discloseDelay', target: 'M1' }],
    ['#/e/E1/nothing', { page: 'unknown' }],
    ['#/x', { page: 'unknown' }],
  ] as const)('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
    if (route.page !== 'unknown') expect(parseRoute(href(route))).toEqual(route);
  });
});
