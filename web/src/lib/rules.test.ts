import { describe, expect, it } from 'vitest';
import type { Problem, TransparencyReport } from '../api/types';
import { allowedActions, buildBody, findAction, formFields, missing, sideOf } from './actions';
import { health } from './health';
import { formErrors, pointerField } from './problem';

const clean: TransparencyReport = {
  engagement_id: 'e',
  engagements: 1,
  as_of: '2026-12-01T00:00:00Z',
  delays: { count: 0, median_lead_time_days: null, median_claimed_lead_time_days: null, disclosed_after_due: 0 },
  open_assumptions: { open: 0, older_than_7_days: [] },
  open_questions: [],
  days_since_client_informed: 2,
  never_informed: 0,
  not_acknowledged: [],
  decisions: { total: 1, without_client: [] },
  features: { proposed: 0, accepted: 0, never_accepted: 0, delivered_not_accepted: [] },
  unbriefed_stakeholders: [],
  indicators: { total: 1, on_target: 1, unmeasured: [], off_target: [] },
  days_since_client_informed_as_claimed: 2,
  uninformed_stakeholders: [],
  late_recording: { claimed: 0, max_gap_days: null, later_than_1_day: [] },
  risks: { open: 0, escalated: 0, occurred: 0, by_score: [] },
  dependencies: { open: 0, late: 0, late_client: [] },
  difficulties: { open: 0, unassigned: 0, by_age: [] },
  exceptions: { open: 0, decided: 0, by_age: [], mean_days_to_decision: null, max_days_to_decision: null },
  cadence: { agreed: 0, breaches: 0, overdue: [] },
};

describe('health', () => {
  it.each([
    ['nothing to report', clean, 'good', []],
    ['a late delay is a risk', { ...clean, delays: { count: 1, median_lead_time_days: -2, median_claimed_lead_time_days: -2, disclosed_after_due: 1 } }, 'risk', ['late_delays']],
    [
      'a decision without the client is a risk',
      { ...clean, decisions: { total: 2, without_client: [{ engagement_id: 'e', id: 'd', title: 'Hosting' }] } },
      'risk',
      ['decisions_without_client'],
    ],
    ['two weeks of silence deserves a look', { ...clean, days_since_client_informed: 20 }, 'watch', ['client_not_informed']],
    ['a month of silence is a risk', { ...clean, days_since_client_informed: 45 }, 'risk', ['client_not_informed']],
    [
      'an unbriefed stakeholder deserves a look',
      {
        ...clean,
        unbriefed_stakeholders: [{ engagement_id: 'e', stakeholder_id: 's', name: 'N', party: 'client', joined_at: '', days_since_joined: 3 }],
      },
      'watch',
      ['unbriefed'],
    ],
    [
      'a young open question does not count yet',
      { ...clean, open_questions: [{ engagement_id: 'e', id: 'q', text: '?', since: '', age_days: 2 }] },
      'good',
      [],
    ],
  ] as const)('%s', (_, report, level, keys) => {
    const h = health(report as TransparencyReport);
    expect(h.level).toBe(level);
    expect(h.reasons.map((r) => r.key)).toEqual(keys);
  });

  it('puts the severe reasons first', () => {
    const h = health({
      ...clean,
      indicators: { total: 3, on_target: 0, unmeasured: [], off_target: [{ engagement_id: 'e', id: 'a', title: 'a' }, { engagement_id: 'e', id: 'b', title: 'b' }] },
      delays: { count: 1, median_lead_time_days: -1, median_claimed_lead_time_days: -1, disclosed_after_due: 1 },
    });
    expect(h.reasons.map((r) => r.key)).toEqual(['late_delays', 'indicators_off']);
  });
});

describe('problem', () => {
  const p = (errors: Problem['errors'], detail = 'the body does not match'): Problem => ({
    type: 'urn:candor:problem:validation_failed',
    title: 'Unprocessable Entity',
    status: 422,
    code: 'validation_failed',
    detail,
    errors,
  });

  it('reads the top-level field of a JSON pointer', () => {
    expect(pointerField('/new_due_date')).toBe('new_due_date');
    expect(pointerField('/options/2')).toBe('options');
    expect(pointerField('/a~1b')).toBe('a/b');
    expect(pointerField('')).toBeNull();
    expect(pointerField(undefined)).toBeNull();
  });

  it('puts each error by its field, the rest on top', () => {
    const e = formErrors(
      p([
        { pointer: '/new_due_date', detail: 'must be later' },
        { pointer: '/unknown', detail: 'no such field' },
        { parameter: 'header.If-Match', detail: 'bad etag' },
      ]),
      ['new_due_date', 'reason'],
      'fallback',
    );
    expect(e.fields).toEqual({ new_due_date: 'must be later' });
    expect(e.general).toEqual(['no such field', 'bad etag']);
  });

  it('says a rule the app knows in the user’s words, by its code', () => {
    const q = { ...p([{ pointer: '/new_due_date', detail: 'the new due date must be later than 2026-11-24' }]), code: 'new_date_not_later' };
    const fr = (code: string) => (code === 'new_date_not_later' ? 'Doit être postérieure à l’échéance actuelle.' : null);
    expect(formErrors(q, ['new_due_date'], 'x', fr).fields).toEqual({ new_due_date: 'Doit être postérieure à l’échéance actuelle.' });
    expect(formErrors(q, ['new_due_date'], 'x').fields).toEqual({ new_due_date: 'the new due date must be later than 2026-11-24' });
  });

  it('says the detail when no field got an error', () => {
    expect(formErrors(p(undefined, 'auditors read, they do not write'), ['x'], 'fallback')).toEqual({
      fields: {},
      general: ['auditors read, they do not write'],
    });
  });
});

describe('actions', () => {
  const ids = (side: 'client' | 'supplier' | null, phase: Parameters<typeof allowedActions>[1]) =>
    allowedActions(side, phase).map((a) => a.id);

  it('offers the supplier the writes of the issue, and the client none of them', () => {
    const sup = ids('supplier', 'delivery');
    for (const id of ['makeAssumption', 'discloseDelay', 'reportDifficulty', 'makeDecision', 'informClient', 'proposeFeature', 'makeDelivery']) {
      expect(sup).toContain(id);
    }
    for (const id of ['validateAssumption', 'acknowledgeInformation', 'acceptDelivery', 'answerQuestion']) expect(sup).not.toContain(id);
  });

  it('offers the client the writes of the issue, and the supplier’s none', () => {
    const cli = ids('client', 'acceptance');
    for (const id of [
      'answerQuestion', 'clarifyRequirement', 'validateAssumption', 'rejectAssumption', 'acknowledgeInformation',
      'approveChange', 'rejectChange', 'acceptDelivery', 'rejectDelivery', 'acceptFeature', 'declineFeature', 'raiseNeedAtDelivery',
    ]) {
      expect(cli).toContain(id);
    }
    for (const id of ['makeAssumption', 'discloseDelay', 'informClient', 'makeDelivery']) expect(cli).not.toContain(id);
  });

  it('offers nothing without a side (auditors, non-stakeholders), nor in a closed engagement', () => {
    expect(ids(null, 'delivery')).toEqual([]);
    expect(ids('supplier', 'closed')).toEqual([]);
    expect(ids('client', 'closed')).toEqual([]);
  });

  it('follows the phases: no delivery in scoping, no new requirement in acceptance', () => {
    expect(ids('supplier', 'scoping')).not.toContain('makeDelivery');
    expect(ids('client', 'acceptance')).not.toContain('raiseRequirement');
    expect(ids('client', 'delivery')).toContain('raiseRequirement');
  });

  it('maps the provider to the supplier’s side', () => {
    expect(sideOf('provider')).toBe('supplier');
    expect(sideOf('client')).toBe('client');
    expect(sideOf(undefined)).toBeNull();
  });

  it('builds bodies of the contract’s types from form strings', () => {
    const decision = findAction('makeDecision')!;
    expect(
      buildBody(decision, {
        title: ' Hosting ',
        kind: 'technical',
        options: 'a\n\n b \n',
        chosen: 'b',
        rationale: '',
        participants: ['s1', 's2'],
      }),
    ).toEqual({ title: 'Hosting', kind: 'technical', options: ['a', 'b'], chosen: 'b', participants: ['s1', 's2'] });
    const measure = findAction('measureIndicator')!;
    expect(buildBody(measure, { value: '2,5', note: '' })).toEqual({ value: 2.5 });
    const delay = findAction('discloseDelay')!;
    const body = buildBody(delay, { new_due_date: '2026-12-01T10:00', reason: 'r' });
    expect(body.new_due_date).toBe(new Date('2026-12-01T10:00').toISOString());
    const answer = findAction('answerQuestion')!;
    expect(buildBody(answer, { clarification: 'yes' }, { question_id: 'q1' })).toEqual({ clarification: 'yes', question_id: 'q1' });
  });

  it('offers "when did it happen" where the write takes a claimed time, and sends it only when given', () => {
    const difficulty = findAction('reportDifficulty')!;
    expect(formFields(difficulty).map((f) => f.name)).toContain('occurred_at');
    expect(formFields(findAction('recordLesson')!).map((f) => f.name)).not.toContain('occurred_at');
    expect(formFields(findAction('measureIndicator')!).map((f) => f.name)).not.toContain('occurred_at');
    expect(buildBody(difficulty, { description: 'd', occurred_at: '' })).toEqual({ description: 'd' });
    expect(buildBody(difficulty, { description: 'd', occurred_at: '2026-11-03T09:30' })).toEqual({
      description: 'd',
      occurred_at: new Date('2026-11-03T09:30').toISOString(),
    });
  });

  it('sends a rating as a number', () => {
    const risk = findAction('raiseRisk')!;
    const body = buildBody(risk, { title: 'r', probability: '4', impact: '5', response: 'x', owner_id: 's1' });
    expect(body).toMatchObject({ probability: 4, impact: 5, owner_id: 's1' });
  });

  it('has the client’s approvals witnessed, and nothing else', () => {
    const witnessed = (['client', 'supplier'] as const)
      .flatMap((side) => allowedActions(side, 'acceptance'))
      .filter((a) => a.witness)
      .map((a) => a.id);
    expect(new Set(witnessed)).toEqual(
      new Set(['acknowledgeInformation', 'acceptDelivery', 'rejectDelivery', 'validateAssumption', 'rejectAssumption', 'approveChange', 'rejectChange']),
    );
  });

  it('names the required fields left empty', () => {
    const a = findAction('informClient')!;
    expect(missing(a, { subject: '  ', summary: '', channel: 'email', recipients: [] })).toEqual(['subject', 'recipients']);
  });
});
