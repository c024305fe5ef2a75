// The writes the app offers, as data: which side may make each, in which
// phases (the domain's rules, so that nobody is offered a form that can only
// fail), the contract path it posts to, what it targets and its fields. The
// types tie every path and field name to openapi.yaml: a renamed field or
// operation fails the type check.
import type { BodyOf, ClaimsOf, Party, PathParamsOf, Phase, PostPath, WitnessedOf } from '../api/types';

/** The side of a party: the provider acts on the supplier's side. */
export type Side = 'client' | 'supplier';

export function sideOf(p: Party | undefined): Side | null {
  if (p === 'client') return 'client';
  if (p === 'supplier' || p === 'provider') return 'supplier';
  return null;
}

/** Lists the form's selects are filled from (see options.ts). */
export type Source =
  | 'stakeholders'
  | 'otherStakeholders'
  | 'clientStakeholders'
  | 'milestones'
  | 'requirements'
  | 'openQuestions'
  | 'openAssumptions'
  | 'openChanges'
  | 'proposedFeatures'
  | 'awaitingDeliveries'
  | 'deliveries'
  | 'features'
  | 'difficulties'
  | 'indicators'
  | 'myUnacknowledged'
  | 'myOpenDependencies';

/** The sources whose items wait for an answer (counted in the list of actions). */
export const pendingSources: readonly Source[] = [
  'openQuestions',
  'openAssumptions',
  'openChanges',
  'proposedFeatures',
  'awaitingDeliveries',
  'myUnacknowledged',
  'myOpenDependencies',
];

export type FieldKind = 'text' | 'textarea' | 'lines' | 'datetime' | 'number' | 'integer' | 'select' | 'multi' | 'enum';

export interface Field<N extends string = string> {
  name: N;
  kind: FieldKind;
  required?: boolean;
  /** For select and multi. */
  source?: Source;
  /** For enum: the allowed values (labels come from the dictionary). */
  values?: readonly string[];
  /** Dictionary prefix of the enum's labels ("channel." + value). */
  valuePrefix?: string;
  /** For enum: the values are numbers (a rating) and are sent as such. */
  numeric?: boolean;
  /** Default value: "now", "now+7d", "dueDate+7d" for datetimes. */
  initial?: string;
}

export interface Action<P extends PostPath = PostPath> {
  id: string;
  side: Side | 'any';
  phases: readonly Phase[];
  path: P;
  /** The item the write acts on: its path parameter(s) come from a select. */
  target?: { source: Source; params: readonly PathParamsOf<P>[] };
  fields: readonly Field<Extract<keyof BodyOf<P>, string>>[];
  witness?: true;
  claims?: true;
}

/**
 * What the contract says of the write, stated by each entry so that the
 * type check fails when they part: `witness` where the operation takes the
 * client's last checkpoint (X-Candor-Checkpoint), `claims` where it takes
 * a claimed time (occurred_at, the form's "when did it happen").
 */
type Contract<P extends PostPath> = (WitnessedOf<P> extends true ? { witness: true } : { witness?: never }) &
  (ClaimsOf<P> extends true ? { claims: true } : { claims?: never });

const working: readonly Phase[] = ['scoping', 'delivery', 'acceptance'];
const open: readonly Phase[] = ['emergence', 'scoping', 'delivery', 'acceptance'];
const deliveryPhases: readonly Phase[] = ['delivery', 'acceptance'];
const ratings = ['1', '2', '3', '4', '5'] as const;

// A helper so that each entry is checked against its own path's body.
const act = <P extends PostPath>(a: Action<P> & Contract<P>): Action<P> => a;

const E = '/v1/engagements/{engagement_id}';

export const actions = [
  // The supplier's side.
  act({
    id: 'makeAssumption',
    side: 'supplier',
    phases: working,
    path: `${E}/assumptions`,
    claims: true,
    fields: [
      { name: 'statement', kind: 'textarea', required: true },
      { name: 'requirement_id', kind: 'select', source: 'requirements' },
    ],
  }),
  act({
    id: 'discloseDelay',
    side: 'supplier',
    phases: working,
    path: `${E}/milestones/{milestone_id}/delays`,
    claims: true,
    target: { source: 'milestones', params: ['milestone_id'] },
    fields: [
      { name: 'new_due_date', kind: 'datetime', required: true, initial: 'dueDate+7d' },
      { name: 'reason', kind: 'textarea', required: true },
    ],
  }),
  act({
    id: 'reportDifficulty',
    side: 'supplier',
    phases: working,
    path: `${E}/difficulties`,
    claims: true,
    fields: [
      { name: 'description', kind: 'textarea', required: true },
      { name: 'milestone_id', kind: 'select', source: 'milestones' },
    ],
  }),
  act({
    id: 'discloseCostImpact',
    side: 'supplier',
    phases: working,
    path: `${E}/cost-impacts`,
    claims: true,
    fields: [
      { name: 'amount', kind: 'integer', required: true },
      { name: 'currency', kind: 'text', required: true, initial: 'EUR' },
      { name: 'reason', kind: 'textarea', required: true },
      { name: 'difficulty_id', kind: 'select', source: 'difficulties' },
    ],
  }),
  act({
    id: 'discloseSkillsGap',
    side: 'supplier',
    phases: working,
    path: `${E}/skills-gaps`,
    claims: true,
    fields: [
      { name: 'skill', kind: 'text', required: true },
      { name: 'mitigation', kind: 'textarea' },
      { name: 'difficulty_id', kind: 'select', source: 'difficulties' },
    ],
  }),
  act({
    id: 'informClient',
    side: 'supplier',
    phases: open,
    path: `${E}/communications`,
    claims: true,
    fields: [
      { name: 'subject', kind: 'text', required: true },
      { name: 'summary', kind: 'textarea' },
      {
        name: 'channel',
        kind: 'enum',
        required: true,
        values: ['meeting', 'call', 'email', 'chat', 'document', 'demo'],
        valuePrefix: 'channel.',
        initial: 'email',
      },
      { name: 'recipients', kind: 'multi', required: true, source: 'clientStakeholders' },
    ],
  }),
  act({
    id: 'askQuestion',
    side: 'supplier',
    phases: working,
    path: `${E}/requirements/{requirement_id}/questions`,
    claims: true,
    target: { source: 'requirements', params: ['requirement_id'] },
    fields: [{ name: 'text', kind: 'textarea', required: true }],
  }),
  act({
    id: 'proposeFeature',
    side: 'supplier',
    phases: working,
    path: `${E}/features`,
    claims: true,
    fields: [
      { name: 'title', kind: 'text', required: true },
      { name: 'description', kind: 'textarea' },
    ],
  }),
  act({
    id: 'makeDelivery',
    side: 'supplier',
    phases: deliveryPhases,
    path: `${E}/deliveries`,
    claims: true,
    fields: [
      { name: 'title', kind: 'text', required: true },
      { name: 'description', kind: 'textarea' },
      { name: 'milestone_id', kind: 'select', source: 'milestones' },
      { name: 'requirement_ids', kind: 'multi', source: 'requirements' },
      { name: 'feature_ids', kind: 'multi', source: 'features' },
    ],
  }),

  // The client's side.
  act({
    id: 'answerQuestion',
    side: 'client',
    phases: working,
    path: `${E}/requirements/{requirement_id}/clarifications`,
    claims: true,
    target: { source: 'openQuestions', params: ['requirement_id'] },
    fields: [{ name: 'clarification', kind: 'textarea', required: true }],
  }),
  act({
    id: 'clarifyRequirement',
    side: 'client',
    phases: working,
    path: `${E}/requirements/{requirement_id}/clarifications`,
    claims: true,
    target: { source: 'requirements', params: ['requirement_id'] },
    fields: [{ name: 'clarification', kind: 'textarea', required: true }],
  }),
  act({
    id: 'validateAssumption',
    side: 'client',
    phases: open,
    path: `${E}/assumptions/{assumption_id}/validation`,
    claims: true,
    witness: true,
    target: { source: 'openAssumptions', params: ['assumption_id'] },
    fields: [{ name: 'comment', kind: 'textarea' }],
  }),
  act({
    id: 'rejectAssumption',
    side: 'client',
    phases: open,
    path: `${E}/assumptions/{assumption_id}/rejection`,
    claims: true,
    witness: true,
    target: { source: 'openAssumptions', params: ['assumption_id'] },
    fields: [{ name: 'reason', kind: 'textarea' }],
  }),
  act({
    id: 'acknowledgeInformation',
    side: 'client',
    phases: open,
    path: `${E}/communications/{information_id}/acknowledgements`,
    claims: true,
    witness: true,
    target: { source: 'myUnacknowledged', params: ['information_id'] },
    fields: [],
  }),
  act({
    id: 'approveChange',
    side: 'client',
    phases: open,
    path: `${E}/changes/{change_id}/approval`,
    claims: true,
    witness: true,
    target: { source: 'openChanges', params: ['change_id'] },
    fields: [{ name: 'comment', kind: 'textarea' }],
  }),
  act({
    id: 'rejectChange',
    side: 'client',
    phases: open,
    path: `${E}/changes/{change_id}/rejection`,
    claims: true,
    witness: true,
    target: { source: 'openChanges', params: ['change_id'] },
    fields: [{ name: 'reason', kind: 'textarea' }],
  }),
  act({
    id: 'acceptDelivery',
    side: 'client',
    phases: open,
    path: `${E}/deliveries/{delivery_id}/acceptance`,
    claims: true,
    witness: true,
    target: { source: 'awaitingDeliveries', params: ['delivery_id'] },
    fields: [{ name: 'comment', kind: 'textarea' }],
  }),
  act({
    id: 'rejectDelivery',
    side: 'client',
    phases: open,
    path: `${E}/deliveries/{delivery_id}/rejection`,
    claims: true,
    witness: true,
    target: { source: 'awaitingDeliveries', params: ['delivery_id'] },
    fields: [{ name: 'reason', kind: 'textarea', required: true }],
  }),
  act({
    id: 'acceptFeature',
    side: 'client',
    phases: open,
    path: `${E}/features/{feature_id}/acceptance`,
    claims: true,
    target: { source: 'proposedFeatures', params: ['feature_id'] },
    fields: [{ name: 'comment', kind: 'textarea' }],
  }),
  act({
    id: 'declineFeature',
    side: 'client',
    phases: open,
    path: `${E}/features/{feature_id}/decline`,
    claims: true,
    target: { source: 'proposedFeatures', params: ['feature_id'] },
    fields: [{ name: 'reason', kind: 'textarea' }],
  }),

  // Either side.
  act({
    id: 'raiseNeedAtDelivery',
    side: 'any',
    phases: deliveryPhases,
    path: `${E}/deliveries/{delivery_id}/needs`,
    claims: true,
    target: { source: 'deliveries', params: ['delivery_id'] },
    fields: [
      { name: 'title', kind: 'text', required: true },
      { name: 'description', kind: 'textarea' },
    ],
  }),
  act({
    id: 'raiseRequirement',
    side: 'any',
    phases: ['scoping', 'delivery'],
    path: `${E}/requirements`,
    claims: true,
    fields: [
      { name: 'title', kind: 'text', required: true },
      { name: 'description', kind: 'textarea' },
    ],
  }),
  act({
    id: 'requestChange',
    side: 'any',
    phases: working,
    path: `${E}/changes`,
    claims: true,
    fields: [
      { name: 'description', kind: 'textarea', required: true },
      { name: 'reason', kind: 'textarea' },
      { name: 'requirement_id', kind: 'select', source: 'requirements' },
    ],
  }),
  act({
    id: 'makeDecision',
    side: 'any',
    phases: open,
    path: `${E}/decisions`,
    claims: true,
    fields: [
      { name: 'title', kind: 'text', required: true },
      { name: 'kind', kind: 'enum', required: true, values: ['technical', 'strategic'], valuePrefix: 'kind.', initial: 'technical' },
      { name: 'options', kind: 'lines', required: true },
      { name: 'chosen', kind: 'text', required: true },
      { name: 'rationale', kind: 'textarea' },
      { name: 'participants', kind: 'multi', required: true, source: 'stakeholders' },
    ],
  }),
  act({
    id: 'briefStakeholder',
    side: 'any',
    phases: open,
    path: `${E}/stakeholders/{stakeholder_id}/briefings`,
    claims: true,
    target: { source: 'otherStakeholders', params: ['stakeholder_id'] },
    fields: [{ name: 'summary', kind: 'textarea', required: true }],
  }),
  act({
    id: 'measureIndicator',
    side: 'any',
    phases: working,
    path: `${E}/indicators/{indicator_id}/measurements`,
    target: { source: 'indicators', params: ['indicator_id'] },
    fields: [
      { name: 'value', kind: 'number', required: true },
      { name: 'note', kind: 'textarea' },
    ],
  }),
  act({
    id: 'raiseRisk',
    side: 'any',
    phases: open,
    path: `${E}/risks`,
    claims: true,
    fields: [
      { name: 'title', kind: 'text', required: true },
      { name: 'description', kind: 'textarea' },
      { name: 'probability', kind: 'enum', required: true, values: ratings, valuePrefix: 'rating.', numeric: true, initial: '3' },
      { name: 'impact', kind: 'enum', required: true, values: ratings, valuePrefix: 'rating.', numeric: true, initial: '3' },
      { name: 'response', kind: 'textarea', required: true },
      { name: 'owner_id', kind: 'select', required: true, source: 'stakeholders' },
      { name: 'milestone_id', kind: 'select', source: 'milestones' },
    ],
  }),
  act({
    id: 'raiseDependency',
    side: 'any',
    phases: open,
    path: `${E}/dependencies`,
    claims: true,
    fields: [
      { name: 'title', kind: 'text', required: true },
      { name: 'description', kind: 'textarea' },
      { name: 'owed_by', kind: 'select', required: true, source: 'stakeholders' },
      { name: 'due_date', kind: 'datetime', required: true, initial: 'now+7d' },
      { name: 'milestone_id', kind: 'select', source: 'milestones' },
    ],
  }),
  act({
    id: 'meetDependency',
    side: 'any',
    phases: open,
    path: `${E}/dependencies/{dependency_id}/fulfilment`,
    claims: true,
    target: { source: 'myOpenDependencies', params: ['dependency_id'] },
    fields: [{ name: 'note', kind: 'textarea' }],
  }),
  act({
    id: 'recordLesson',
    side: 'any',
    phases: open,
    path: `${E}/lessons`,
    fields: [{ name: 'text', kind: 'textarea', required: true }],
  }),
] as const satisfies readonly Action<PostPath>[];

export type ActionId = (typeof actions)[number]['id'];

/**
 * The actions a stakeholder of this side may take in this phase. Auditors,
 * and principals who are no stakeholder of the engagement, have no side:
 * they get none.
 */
export function allowedActions(side: Side | null, phase: Phase): Action[] {
  if (!side) return [];
  return (actions as readonly Action[]).filter((a) => (a.side === 'any' || a.side === side) && a.phases.includes(phase));
}

export function findAction(id: string): Action | undefined {
  return (actions as readonly Action[]).find((a) => a.id === id);
}

/** The claimed time a form offers where the write takes one: optional, never in the future. */
export const occurredField: Field = { name: 'occurred_at', kind: 'datetime' };

/** The fields a form shows: the action's own, then "when did it happen" where the write takes it. */
export function formFields(a: Action): readonly Field[] {
  return a.claims ? [...a.fields, occurredField] : a.fields;
}

/** Builds the JSON body of a write from the form's values (strings). */
export function buildBody(a: Action, values: Record<string, string | string[]>, extra: Record<string, string> = {}) {
  const body: Record<string, unknown> = { ...extra };
  for (const f of formFields(a)) {
    const v = values[f.name];
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      if (v.length > 0 || f.required) body[f.name] = v;
      continue;
    }
    const s = v.trim();
    if (s === '') continue;
    if (f.numeric) {
      body[f.name] = Number(s);
      continue;
    }
    switch (f.kind) {
      case 'number':
        body[f.name] = Number(s.replace(',', '.'));
        break;
      case 'integer':
        body[f.name] = Math.round(Number(s.replace(',', '.')));
        break;
      case 'datetime':
        body[f.name] = new Date(s).toISOString();
        break;
      case 'lines':
        body[f.name] = s
          .split('\n')
          .map((x) => x.trim())
          .filter(Boolean);
        break;
      default:
        body[f.name] = s;
    }
  }
  return body;
}

/** The fields the user left empty although required. */
export function missing(a: Action, values: Record<string, string | string[]>): string[] {
  return a.fields
    .filter((f) => f.required)
    .filter((f) => {
      const v = values[f.name];
      return v === undefined || (Array.isArray(v) ? v.length === 0 : v.trim() === '');
    })
    .map((f) => f.name);
}
