// The choices a form's selects offer, from the engagement's current state
// (the folded sub-resources, which never lag behind the writes).
import type {
  Assumption,
  Change,
  Communication,
  Delivery,
  Dependency,
  Difficulty,
  Engagement,
  Expert,
  Feature,
  Indicator,
  Milestone,
  Requirement,
  Stakeholder,
} from '../api/types';
import type { Source } from './actions';
import { Directory } from './facts';

export interface EngagementData {
  engagement: Engagement;
  stakeholders: Stakeholder[];
  experts: Expert[];
  requirements: Requirement[];
  questions: { id: string; requirement_id: string; text: string; status: string }[];
  assumptions: Assumption[];
  changes: Change[];
  features: Feature[];
  milestones: Milestone[];
  difficulties: Difficulty[];
  communications: Communication[];
  indicators: Indicator[];
  deliveries: Delivery[];
  dependencies: Dependency[];
}

export interface Option {
  value: string;
  label: string;
  /** Path parameters the choice fills. */
  params: Record<string, string>;
  /** Body fields the choice fills (an answered question's id). */
  body?: Record<string, string>;
  /** For a milestone: its current due date. */
  due?: string;
}

const short = (s: string, n = 90) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function options(src: Source, d: EngagementData, me: string | undefined): Option[] {
  const who = (id: string) => d.stakeholders.find((s) => s.id === id)?.name ?? id;
  switch (src) {
    case 'stakeholders':
      return d.stakeholders
        .filter((s) => !s.left)
        .map((s) => ({ value: s.id, label: s.name, params: { stakeholder_id: s.id } }));
    case 'otherStakeholders': // one does not brief oneself
      return d.stakeholders
        .filter((s) => !s.left && s.id !== me)
        .map((s) => ({ value: s.id, label: s.name, params: { stakeholder_id: s.id } }));
    case 'clientStakeholders':
      return d.stakeholders
        .filter((s) => !s.left && s.party === 'client')
        .map((s) => ({ value: s.id, label: s.name, params: {} }));
    case 'milestones':
      return d.milestones.map((m) => ({ value: m.id, label: m.title, params: { milestone_id: m.id }, due: m.due_date }));
    case 'requirements':
      return d.requirements.map((r) => ({ value: r.id, label: short(r.title), params: { requirement_id: r.id } }));
    case 'openQuestions':
      return d.questions
        .filter((q) => q.status === 'open')
        .map((q) => ({
          value: q.id,
          label: short(q.text),
          params: { requirement_id: q.requirement_id },
          body: { question_id: q.id },
        }));
    case 'openAssumptions':
      return d.assumptions
        .filter((a) => a.status === 'open')
        .map((a) => ({ value: a.id, label: short(a.statement), params: { assumption_id: a.id } }));
    case 'openChanges':
      return d.changes
        .filter((c) => c.status === 'open')
        .map((c) => ({ value: c.id, label: short(c.description), params: { change_id: c.id } }));
    case 'proposedFeatures':
      return d.features
        .filter((f) => f.status === 'proposed')
        .map((f) => ({ value: f.id, label: f.title, params: { feature_id: f.id } }));
    case 'features':
      return d.features.map((f) => ({ value: f.id, label: f.title, params: {} }));
    case 'awaitingDeliveries':
      return d.deliveries
        .filter((x) => x.status === 'awaiting_acceptance')
        .map((x) => ({ value: x.id, label: x.title, params: { delivery_id: x.id } }));
    case 'deliveries':
      return d.deliveries.map((x) => ({ value: x.id, label: x.title, params: { delivery_id: x.id } }));
    case 'difficulties':
      return d.difficulties.map((x) => ({ value: x.id, label: short(x.description), params: {} }));
    case 'indicators':
      return d.indicators.map((x) => ({ value: x.id, label: x.name, params: { indicator_id: x.id } }));
    case 'myUnacknowledged':
      return d.communications
        .filter((c) => me && c.recipients.includes(me) && !c.acknowledgements.some((a) => a.stakeholder_id === me))
        .map((c) => ({
          value: c.id,
          label: `${short(c.subject)} (${who(c.informed_by)})`,
          params: { information_id: c.id },
        }));
    case 'myOpenDependencies': // one records having delivered what one owed
      return d.dependencies
        .filter((x) => me && x.owed_by === me && x.status === 'open')
        .map((x) => ({ value: x.id, label: short(x.title), params: { dependency_id: x.id } }));
  }
}

/** A directory of every name the engagement's current state knows. */
export function directoryOf(d: EngagementData): Directory {
  const dir = new Directory();
  dir.set(d.engagement.id, { label: d.engagement.title });
  for (const s of d.stakeholders) dir.set(s.id, { label: s.name, party: s.party });
  for (const x of d.experts) dir.set(x.id, { label: x.name });
  for (const x of d.requirements) dir.set(x.id, { label: x.title });
  for (const x of d.questions) dir.set(x.id, { label: x.text });
  for (const x of d.assumptions) dir.set(x.id, { label: x.statement });
  for (const x of d.changes) dir.set(x.id, { label: x.description });
  for (const x of d.features) dir.set(x.id, { label: x.title });
  for (const x of d.milestones) dir.set(x.id, { label: x.title, due: x.due_date });
  for (const x of d.difficulties) dir.set(x.id, { label: x.description });
  for (const x of d.communications) dir.set(x.id, { label: x.subject });
  for (const x of d.indicators) dir.set(x.id, { label: x.name });
  for (const x of d.deliveries) dir.set(x.id, { label: x.title });
  for (const x of d.dependencies) dir.set(x.id, { label: x.title });
  return dir;
}
