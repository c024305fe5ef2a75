// Facts (events) as the app shows them: one shape for the event log's
// entries and the live feed's messages, the names they refer to, and a
// one-line, translated description of each.
import type { EventOut, FeedEvent, Party } from '../api/types';
import type { I18n, MsgKey } from './i18n';

export interface Fact {
  id: string;
  type: string;
  revision: number;
  position: number;
  actorId: string;
  /** When Candor recorded it (the event's own time). */
  at: string;
  /** When it is said to have happened, when the write claimed it (occurred_at). */
  occurredAt?: string;
  recordedAt: string;
  data: Record<string, unknown>;
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function fromEventOut(e: EventOut): Fact {
  const data = obj(e.data);
  return {
    id: e.id,
    type: e.type,
    revision: e.revision,
    position: e.position,
    actorId: e.actor ?? str(data.actor_id),
    at: str(data.at) || e.recorded_at,
    ...claimed(data),
    recordedAt: e.recorded_at,
    data,
  };
}

export function fromFeedEvent(e: FeedEvent): Fact {
  return {
    id: e.id,
    type: e.type,
    revision: e.revision,
    position: e.position,
    actorId: e.actor_id,
    at: e.at,
    ...claimed(obj(e.data)),
    recordedAt: e.recorded_at,
    data: obj(e.data),
  };
}

const claimed = (data: Record<string, unknown>): { occurredAt?: string } =>
  str(data.occurred_at) ? { occurredAt: str(data.occurred_at) } : {};

/** Event families, for filtering the timeline. */
export const families = {
  lifecycle: ['engagement.opened', 'engagement.phase_advanced', 'engagement.closed', 'lesson.recorded'],
  people: ['party.joined', 'perimeter.defined', 'stakeholder.joined', 'stakeholder.briefed', 'stakeholder.left'],
  emergence: ['expert.invited', 'expert.committed', 'expert.withdrew', 'discussion.client_joined', 'agreement.signed'],
  scoping: ['workshop.held', 'indicator.defined', 'indicator.measured'],
  requirements: [
    'requirement.raised',
    'question.asked',
    'requirement.clarified',
    'assumption.made',
    'assumption.validated',
    'assumption.rejected',
    'change.requested',
    'change.approved',
    'change.rejected',
    'feature.proposed',
    'feature.accepted',
    'feature.declined',
  ],
  commitments: [
    'milestone.planned',
    'difficulty.reported',
    'delay.disclosed',
    'cost_impact.disclosed',
    'skills_gap.disclosed',
  ],
  communication: ['client.informed', 'information.acknowledged', 'decision.made'],
  delivery: ['delivery.made', 'delivery.accepted', 'delivery.rejected', 'delivery.need_raised'],
  governance: [
    'risk.raised',
    'risk.reviewed',
    'risk.escalated',
    'risk.occurred',
    'risk.closed',
    'difficulty.assigned',
    'difficulty.resolved',
    'dependency.raised',
    'dependency.met',
    'change.impact_assessed',
    'change.approval_delegated',
  ],
} as const;

export type Family = keyof typeof families;

export function familyOf(type: string): Family | null {
  for (const [f, types] of Object.entries(families) as [Family, readonly string[]][]) {
    if (types.includes(type)) return f;
  }
  return null;
}

/** What a fact refers to by id: names, titles, subjects, and parties. */
export interface Entity {
  label: string;
  party?: Party;
  /** Extra facts about it that descriptions use (a milestone's due date...). */
  due?: string;
}

export class Directory {
  private readonly m = new Map<string, Entity>();

  set(id: string | undefined, e: Entity): void {
    if (!id) return;
    const prev = this.m.get(id);
    this.m.set(id, prev ? { ...prev, ...e, label: e.label || prev.label } : e);
  }

  get(id: string | undefined): Entity | undefined {
    return id ? this.m.get(id) : undefined;
  }

  label(id: string | undefined, fallback: string): string {
    return this.get(id)?.label || fallback;
  }

  party(id: string | undefined): Party | undefined {
    return this.get(id)?.party;
  }

  /** Learns the names a fact introduces (the stakeholder who joined...). */
  learn(f: Fact): void {
    const d = f.data;
    const named: Record<string, [string, string]> = {
      'engagement.opened': ['engagement_id', 'title'],
      'expert.invited': ['expert_id', 'name'],
      'agreement.signed': ['agreement_id', 'reference'],
      'indicator.defined': ['indicator_id', 'name'],
      'requirement.raised': ['requirement_id', 'title'],
      'delivery.need_raised': ['need_id', 'title'],
      'question.asked': ['question_id', 'text'],
      'assumption.made': ['assumption_id', 'statement'],
      'change.requested': ['change_id', 'description'],
      'feature.proposed': ['feature_id', 'title'],
      'difficulty.reported': ['difficulty_id', 'description'],
      'client.informed': ['information_id', 'subject'],
      'decision.made': ['decision_id', 'title'],
      'delivery.made': ['delivery_id', 'title'],
      'risk.raised': ['risk_id', 'title'],
      'dependency.raised': ['dependency_id', 'title'],
    };
    if (f.type === 'stakeholder.joined') {
      this.set(str(d.stakeholder_id), { label: str(d.name), party: str(d.party) as Party });
    } else if (f.type === 'milestone.planned') {
      this.set(str(d.milestone_id), { label: str(d.title), due: str(d.due_date) });
    } else if (f.type === 'delay.disclosed') {
      this.set(str(d.milestone_id), { label: '', due: str(d.new_due_date) });
    } else {
      const n = named[f.type];
      if (n) this.set(str(d[n[0]]), { label: str(d[n[1]]) });
    }
  }
}

export type Flag = 'after_due' | 'without_client' | 'not_requested' | 'late_joiner' | 'rejected';

export interface Described {
  /** The kind of fact, translated ("Delay disclosed"). */
  label: string;
  /** What it says, mostly the users' own words. */
  text: string;
  flags: Flag[];
}

/**
 * Describes a fact in the user's language. The people's own words (titles,
 * reasons) stay as they wrote them; ids become names through dir.
 */
export function describe(f: Fact, dir: Directory, i: I18n): Described {
  const d = f.data;
  const t = i.t;
  const key = `ev.${f.type}`;
  const label = i.has(key) ? t(key) : f.type;
  const who = (id: unknown) => dir.label(str(id), t('word.someone'));
  const people = (ids: unknown) => i.list(strs(ids).map((x) => who(x)));
  const ref = (id: unknown, fallback: MsgKey) => dir.label(str(id), t(fallback));
  const flags: Flag[] = [];
  const join = (...parts: string[]) => parts.filter(Boolean).join(' — ');
  let text = '';
  switch (f.type) {
    case 'engagement.opened':
      text = t('fact.opened', { title: str(d.title), client: str(d.client_name), supplier: str(d.supplier_name) });
      break;
    case 'engagement.phase_advanced':
      text = t('fact.phase', { from: t(`phase.${str(d.from)}` as MsgKey), to: t(`phase.${str(d.to)}` as MsgKey) });
      break;
    case 'engagement.closed':
      text = str(d.summary);
      break;
    case 'lesson.recorded':
      text = str(d.text);
      break;
    case 'party.joined':
      text = t('fact.party', { name: str(d.name), party: t(`party.${str(d.party)}` as MsgKey) });
      break;
    case 'perimeter.defined':
      text = join(t(`party.${str(d.party)}` as MsgKey), str(d.description));
      break;
    case 'stakeholder.joined':
      text = t('fact.joined', { name: str(d.name), party: t(`party.${str(d.party)}` as MsgKey) });
      if (str(d.role)) text += ` (${str(d.role)})`;
      if (d.late === true) flags.push('late_joiner');
      break;
    case 'stakeholder.briefed':
      text = join(who(d.stakeholder_id), str(d.summary));
      break;
    case 'stakeholder.left':
      text = join(who(d.stakeholder_id), str(d.reason));
      break;
    case 'expert.invited':
      text = join(str(d.name), str(d.expertise));
      break;
    case 'expert.committed':
    case 'expert.withdrew':
      text = join(ref(d.expert_id, 'word.expert'), str(d.reason));
      break;
    case 'discussion.client_joined':
      text = str(d.note);
      break;
    case 'agreement.signed':
      text = join(str(d.reference), t('fact.signedBy', { names: people(d.signatories) }));
      break;
    case 'workshop.held':
      text = join(t('fact.with', { names: people(d.participants) }), str(d.notes));
      break;
    case 'indicator.defined': {
      const dir2 = str(d.direction) === 'at_most' ? 'fact.atMost' : 'fact.atLeast';
      text = join(str(d.name), t(dir2, { target: `${i.num(Number(d.target))}${d.unit ? ` ${str(d.unit)}` : ''}` }));
      break;
    }
    case 'indicator.measured':
      text = join(ref(d.indicator_id, 'word.indicator'), i.num(Number(d.value), 2), str(d.note));
      break;
    case 'requirement.raised':
    case 'delivery.need_raised':
      text = join(str(d.title), str(d.description));
      break;
    case 'question.asked':
      text = join(ref(d.requirement_id, 'word.requirement'), str(d.text));
      break;
    case 'requirement.clarified':
      text = join(ref(d.requirement_id, 'word.requirement'), str(d.clarification));
      break;
    case 'assumption.made':
      text = str(d.statement);
      break;
    case 'assumption.validated':
    case 'assumption.rejected':
      text = join(ref(d.assumption_id, 'word.assumption'), str(d.comment) || str(d.reason));
      if (f.type === 'assumption.rejected') flags.push('rejected');
      break;
    case 'change.requested':
      text = join(str(d.description), str(d.reason));
      break;
    case 'change.approved':
    case 'change.rejected':
      text = join(ref(d.change_id, 'word.change'), str(d.comment) || str(d.reason));
      break;
    case 'feature.proposed':
      text = join(str(d.title), str(d.description));
      flags.push('not_requested');
      break;
    case 'feature.accepted':
    case 'feature.declined':
      text = join(ref(d.feature_id, 'word.feature'), str(d.comment) || str(d.reason));
      break;
    case 'milestone.planned':
      text = t('fact.milestone', { title: str(d.title), date: i.date(str(d.due_date)) });
      break;
    case 'difficulty.reported':
      text = str(d.description);
      break;
    case 'delay.disclosed': {
      text = join(
        t('fact.delay', {
          milestone: ref(d.milestone_id, 'word.milestone'),
          from: i.date(str(d.previous_due_date)),
          to: i.date(str(d.new_due_date)),
        }),
        str(d.reason),
      );
      const prev = Date.parse(str(d.previous_due_date));
      if (!Number.isNaN(prev) && Date.parse(f.at) > prev) flags.push('after_due');
      break;
    }
    case 'cost_impact.disclosed': {
      // The amount is in minor units of the currency (cents for EUR).
      let money: string;
      try {
        const fmt = new Intl.NumberFormat(i.locale, { style: 'currency', currency: str(d.currency) });
        money = fmt.format(Number(d.amount) / 10 ** (fmt.resolvedOptions().maximumFractionDigits ?? 2));
      } catch {
        money = `${i.num(Number(d.amount) / 100, 2)} ${str(d.currency)}`;
      }
      text = join(money, str(d.reason));
      break;
    }
    case 'skills_gap.disclosed':
      text = join(str(d.skill), str(d.mitigation));
      break;
    case 'client.informed':
      text = join(
        str(d.subject),
        t('fact.informed', { names: people(d.recipients), channel: t(`channel.${str(d.channel)}` as MsgKey) }),
      );
      break;
    case 'information.acknowledged':
      text = ref(d.information_id, 'word.information');
      break;
    case 'decision.made': {
      text = join(str(d.title), t('fact.chosen', { chosen: str(d.chosen) }));
      const parts = strs(d.participants);
      if (!parts.some((p) => dir.party(p) === 'client')) flags.push('without_client');
      break;
    }
    case 'delivery.made':
      text = str(d.title);
      break;
    case 'delivery.accepted':
    case 'delivery.rejected':
      text = join(ref(d.delivery_id, 'word.delivery'), str(d.comment) || str(d.reason));
      if (f.type === 'delivery.rejected') flags.push('rejected');
      break;
    case 'risk.raised':
      text = join(t('fact.risk', { title: str(d.title), score: i.num(Number(d.probability) * Number(d.impact), 0) }), str(d.response));
      break;
    case 'risk.reviewed':
    case 'risk.escalated':
    case 'risk.occurred':
    case 'risk.closed':
      text = join(ref(d.risk_id, 'word.risk'), str(d.note) || str(d.reason) || str(d.description));
      break;
    case 'difficulty.assigned':
      text = join(ref(d.difficulty_id, 'word.difficulty'), who(d.owner_id));
      break;
    case 'difficulty.resolved':
      text = join(ref(d.difficulty_id, 'word.difficulty'), str(d.resolution));
      break;
    case 'dependency.raised':
      text = t('fact.dependency', { title: str(d.title), who: who(d.owed_by), date: i.date(str(d.due_date)) });
      break;
    case 'dependency.met':
      text = join(ref(d.dependency_id, 'word.dependency'), str(d.note));
      break;
    case 'change.impact_assessed':
    case 'change.approval_delegated':
      text = join(ref(d.change_id, 'word.change'), str(d.summary) || str(d.reason));
      break;
    default:
      text = '';
  }
  return { label, text, flags };
}
