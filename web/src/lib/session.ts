// The signed-in session: the bearer token and the API's base URL live in
// sessionStorage only (gone with the tab), never in localStorage or a URL.
export interface Session {
  token: string;
  /** The API's origin; empty means the origin that served the app. */
  server: string;
}

const KEY = 'candor.session';

export function loadSession(store: Pick<Storage, 'getItem'>): Session | null {
  try {
    const v = JSON.parse(store.getItem(KEY) ?? 'null') as unknown;
    if (v && typeof v === 'object' && typeof (v as Session).token === 'string' && (v as Session).token !== '') {
      const s = v as Session;
      return { token: s.token, server: typeof s.server === 'string' ? s.server : '' };
    }
  } catch {
    /* a damaged entry is no session */
  }
  return null;
}

export function saveSession(store: Pick<Storage, 'setItem'>, s: Session): void {
  store.setItem(KEY, JSON.stringify(s));
}

export function clearSession(store: Pick<Storage, 'removeItem'>): void {
  store.removeItem(KEY);
}

/**
 * Cleans what a user pasted: surrounding blanks, quotes, or a whole
 * "Authorization: Bearer …" header line.
 */
export function cleanToken(pasted: string): string {
  let s = pasted.trim().replace(/^["']|["']$/g, '').trim();
  s = s.replace(/^authorization:\s*/i, '').replace(/^bearer\s+/i, '');
  return s.trim();
}

/**
 * Normalises the API server a user typed: empty stays empty (same origin),
 * otherwise an http(s) origin without a trailing slash; null if invalid.
 */
export function cleanServer(typed: string): string | null {
  const s = typed.trim();
  if (s === '') return '';
  try {
    const u = new URL(s);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.origin;
  } catch {
    return null;
  }
}
