// Short names for the contract's schemas (generated into schema.d.ts by
// `npm run gen` from ../openapi.yaml).
import type { components, paths } from './schema';

type S = components['schemas'];
export type Paths = paths;
export type Problem = S['Problem'];
export type FieldError = S['FieldError'];
export type Principal = S['Principal'];
export type Phase = S['Phase'];
export type Party = S['Party'];
export type Channel = S['Channel'];
export type EventType = S['EventType'];
export type Engagement = S['Engagement'];
export type EngagementSummary = S['EngagementSummary'];
export type Stakeholder = S['Stakeholder'];
export type Expert = S['Expert'];
export type Requirement = S['Requirement'];
export type Assumption = S['Assumption'];
export type Change = S['Change'];
export type Feature = S['Feature'];
export type Milestone = S['Milestone'];
export type Difficulty = S['Difficulty'];
export type Communication = S['Communication'];
export type Indicator = S['Indicator'];
export type Delivery = S['Delivery'];
export type Dependency = S['Dependency'];
export type Decision = S['Decision'];
export type EventOut = S['EventOut'];
export type FeedEvent = S['FeedEvent'];
export type WriteResult = S['WriteResult'];
export type TransparencyReport = S['TransparencyReport'];
export type RequirementsBoard = S['RequirementsBoard'];
export type DelayRegister = S['DelayRegister'];
export type DecisionLogEntry = S['DecisionLogEntry'];
export type CommunicationsReport = S['CommunicationsReport'];
export type IndicatorStatus = S['IndicatorStatus'];
export type RegisterStakeholder = S['RegisterStakeholder'];
export type Knowledge = S['Knowledge'];
export type KnowledgeItem = S['KnowledgeItem'];
export type Verification = S['Verification'];

/** The write operations of the contract: every path with a POST. */
export type PostPath = { [P in keyof paths]: paths[P] extends { post: object } ? P : never }[keyof paths];
/** The JSON body of a write. */
export type BodyOf<P extends PostPath> = paths[P] extends {
  post: { requestBody?: { content: { 'application/json': infer B } } };
}
  ? B
  : never;
/** The path parameters of a write, other than the engagement's id. */
export type PathParamsOf<P extends PostPath> = paths[P] extends { post: { parameters: { path: infer Q } } }
  ? Exclude<keyof Q, 'engagement_id'>
  : never;
/** Whether a write takes the checkpoint the client last saw (X-Candor-Checkpoint). */
export type WitnessedOf<P extends PostPath> = paths[P] extends { post: { parameters: { header?: infer H } } }
  ? 'X-Candor-Checkpoint' extends keyof NonNullable<H>
    ? true
    : false
  : false;
/** Whether a write takes a claimed time (occurred_at). */
export type ClaimsOf<P extends PostPath> = 'occurred_at' extends keyof BodyOf<P> ? true : false;
export type Receipt = S['Receipt'];
export type CheckpointOut = S['CheckpointOut'];
export type EvidenceKey = S['EvidenceKey'];
export type RaidRegister = S['RAIDRegister'];
