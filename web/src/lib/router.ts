// Hash routes: the server serves the app at / only, so every screen lives
// after the '#'. Nothing secret ever goes into a route.
export type Tab =
  | 'overview'
  | 'timeline'
  | 'requirements'
  | 'delays'
  | 'decisions'
  | 'communications'
  | 'indicators'
  | 'raid'
  | 'knowledge'
  | 'integrity'
  | 'act';

export const tabs: readonly Tab[] = [
  'overview',
  'timeline',
  'requirements',
  'delays',
  'decisions',
  'communications',
  'indicators',
  'raid',
  'knowledge',
  'integrity',
  'act',
];

export type Route =
  | { page: 'engagements'; cursor?: string; phase?: string }
  | { page: 'engagement'; id: string; tab: Tab; action?: string; target?: string }
  | { page: 'unknown' };

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, '');
  const [path = '', query = ''] = h.split('?', 2);
  const q = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) {
    const r: Route = { page: 'engagements' };
    const c = q.get('cursor');
    const p = q.get('phase');
    if (c) r.cursor = c;
    if (p) r.phase = p;
    return r;
  }
  if (parts[0] === 'e' && parts[1]) {
    const tab = (parts[2] ?? 'overview') as Tab;
    if (!tabs.includes(tab)) return { page: 'unknown' };
    const r: Route = { page: 'engagement', id: parts[1], tab };
    if (tab === 'act' && parts[3]) r.action = parts[3];
    const target = q.get('target');
    if (target) r.target = target;
    return r;
  }
  return { page: 'unknown' };
}

export function href(r: Route): string {
  switch (r.page) {
    case 'engagements': {
      const q = new URLSearchParams();
      if (r.phase) q.set('phase', r.phase);
      if (r.cursor) q.set('cursor', r.cursor);
      const s = q.toString();
      return s ? `#/?${s}` : '#/';
    }
    case 'engagement': {
      let s = `#/e/${encodeURIComponent(r.id)}`;
      if (r.tab !== 'overview') s += `/${r.tab}`;
      if (r.action) s += `/${encodeURIComponent(r.action)}`;
      if (r.target) s += `?target=${encodeURIComponent(r.target)}`;
      return s;
    }
    default:
      return '#/';
  }
}
