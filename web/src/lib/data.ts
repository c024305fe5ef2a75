// Loads what every screen of an engagement shares: the engagement and its
// folded collections (for names, forms and choices).
import { ok, type Client } from '../api/client';
import type { EngagementData } from './options';

const all = { limit: 200 } as const;

export async function loadEngagementData(
  c: Client,
  id: string,
  minPosition: number | undefined,
  signal: AbortSignal,
): Promise<EngagementData & { etag: number }> {
  const path = { engagement_id: id };
  const query = minPosition ? { ...all, min_position: minPosition } : all;
  const opt = { params: { path, query }, signal };
  const engRes = await c.GET('/v1/engagements/{engagement_id}', {
    params: { path, query: minPosition ? { min_position: minPosition } : {} },
    signal,
  });
  const engagement = await ok(Promise.resolve(engRes));
  const etag = Number((engRes.response.headers.get('ETag') ?? '').replace(/"/g, ''));
  const [
    stakeholders,
    experts,
    requirements,
    assumptions,
    changes,
    features,
    milestones,
    difficulties,
    communications,
    indicators,
    deliveries,
    dependencies,
    board,
  ] = await Promise.all([
    ok(c.GET('/v1/engagements/{engagement_id}/stakeholders', opt)),
    ok(c.GET('/v1/engagements/{engagement_id}/experts', opt)),
    ok(c.GET('/v1/engagements/{engagement_id}/requirements', opt)),
    ok(c.GET('/v1/engagements/{engagement_id}/assumptions', opt)),
    ok(c.GET('/v1/engagements/{engagement_id}/changes', opt)),
    ok(c.GET('/v1/engagements/{engagement_id}/features', opt)),
    ok(c.GET('/v1/engagements/{engagement_id}/milestones', opt)),
    ok(c.GET('/v1/engagements/{engagement_id}/difficulties', opt)),
    ok(c.GET('/v1/engagements/{engagement_id}/communications', opt)),
    ok(c.GET('/v1/engagements/{engagement_id}/indicators', opt)),
    ok(c.GET('/v1/engagements/{engagement_id}/deliveries', opt)),
    ok(c.GET('/v1/engagements/{engagement_id}/dependencies', opt)),
    ok(
      c.GET('/v1/engagements/{engagement_id}/requirements-board', {
        params: { path, query: minPosition ? { min_position: minPosition } : {} },
        signal,
      }),
    ).catch(() => null),
  ]);
  return {
    engagement,
    etag: Number.isFinite(etag) && etag > 0 ? etag : engagement.revision,
    stakeholders: stakeholders.items,
    experts: experts.items,
    requirements: requirements.items,
    questions: (board?.requirements ?? []).flatMap((r) =>
      r.questions.map((q) => ({ id: q.id, requirement_id: r.id, text: q.text, status: q.status })),
    ),
    assumptions: assumptions.items,
    changes: changes.items,
    features: features.items,
    milestones: milestones.items,
    difficulties: difficulties.items,
    communications: communications.items,
    indicators: indicators.items,
    deliveries: deliveries.items,
    dependencies: dependencies.items,
  };
}
