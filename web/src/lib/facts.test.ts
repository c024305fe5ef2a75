import { describe, expect, it } from 'vitest';
import { describe as describeFact, Directory, familyOf, families, fromEventOut, fromFeedEvent, type Fact } from './facts';
import { makeI18n } from './i18n';
import { en } from '../locales/en';

const fact = (type: string, data: Record<string, unknown>, at = '2026-11-06T19:00:00Z'): Fact => ({
  id: type, type, revision: 1, position: 1, actorId: 'sam', at, recordedAt: at, data,
});

describe('facts', () => {
  const dir = new Directory();
  dir.set('sam', { label: 'Sam Moreau', party: 'supplier' });
  dir.set('claire', { label: 'Claire Martin', party: 'client' });
  dir.learn(fact('milestone.planned', { milestone_id: 'm1', title: 'Go-live', due_date: '2026-11-04T19:00:00Z' }));
  const en_ = makeI18n('en');
  const fr_ = makeI18n('fr');

  it('has one shape for the event log and the feed', () => {
    const data = { actor_id: 'sam', at: '2026-01-02T00:00:00Z' };
    const a = fromEventOut({ id: 'x', type: 't', schema_version: 1, revision: 3, position: 9, recorded_at: '2026-01-03T00:00:00Z', actor: 'sam', hash: 'h', prev_hash: 'p', data: data as never });
    const b = fromFeedEvent({ id: 'x', type: 't', revision: 3, position: 9, actor_id: 'sam', at: '2026-01-02T00:00:00Z', recorded_at: '2026-01-03T00:00:00Z', data: data as never });
    expect(a).toEqual(b);
  });

  it('flags a delay disclosed after its due date, with names and local dates', () => {
    const f = fact('delay.disclosed', { milestone_id: 'm1', previous_due_date: '2026-11-04T19:00:00Z', new_due_date: '2026-11-24T19:00:00Z', reason: 'Hosting failed' });
    expect(describeFact(f, dir, en_)).toEqual({
      label: 'Delay disclosed',
      text: '“Go-live” moves from 4 Nov 2026 to 24 Nov 2026 — Hosting failed',
      flags: ['after_due'],
    });
    expect(describeFact(f, dir, fr_).text).toBe('« Go-live » passe du 4 nov. 2026 au 24 nov. 2026 — Hosting failed');
    const early = { ...f, at: '2026-10-01T00:00:00Z' };
    expect(describeFact(early, dir, en_).flags).toEqual([]);
  });

  it('flags a decision no client stakeholder took part in', () => {
    const without = fact('decision.made', { title: 'Hosting', chosen: 'k8s', participants: ['sam'] });
    const withClient = fact('decision.made', { title: 'Payment', chosen: 'platform', participants: ['sam', 'claire'] });
    expect(describeFact(without, dir, en_).flags).toEqual(['without_client']);
    expect(describeFact(withClient, dir, en_).flags).toEqual([]);
  });

  it('writes amounts in the currency’s minor units', () => {
    const f = fact('cost_impact.disclosed', { amount: 450000, currency: 'EUR', reason: 'r' });
    expect(describeFact(f, dir, en_).text).toBe('€4,500.00 — r');
    expect(describeFact({ ...f, data: { amount: 500, currency: 'JPY' } }, dir, en_).text).toBe('JP¥500');
  });

  it('names unknown references in words, never by id', () => {
    const f = fact('assumption.validated', { assumption_id: '01a2-unknown' });
    expect(describeFact(f, new Directory(), en_).text).toBe('an assumption');
  });

  it('has a label in both languages for every event type, and a family', () => {
    for (const types of Object.values(families)) {
      for (const t of types) {
        expect(en_.has(`ev.${t}`), t).toBe(true);
        expect(familyOf(t)).not.toBeNull();
      }
    }
    const all = Object.values(families).flat();
    const labelled = Object.keys(en).filter((k) => k.startsWith('ev.')).map((k) => k.slice(3));
    expect([...labelled].sort()).toEqual([...all].sort());
  });
});
