import { useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, isProblem, NetworkError, ok } from '../api/client';
import type { WriteResult } from '../api/types';
import { useApp } from '../app';
import { buildBody, formFields, missing, pendingSources, type Action, type Field } from '../lib/actions';
import { checkpointHeader, keepReceipt, loadCheckpoint, seeCheckpoint } from '../lib/evidence';
import { describe, type Fact } from '../lib/facts';
import type { MsgKey } from '../lib/i18n';
import { toLocalInput } from '../lib/moments';
import { options, type Option } from '../lib/options';
import { formErrors, type FormErrors } from '../lib/problem';
import { href } from '../lib/router';
import { Card, Empty, Notice } from '../ui/bits';
import { useEng } from './EngagementShell';

type Values = Record<string, string | string[]>;

const TARGET = 'target';

function newKey(): string {
  return crypto.randomUUID();
}

export function Act() {
  const { i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  // How many items each targeted action could act on now (-1: no target).
  const targetCount = (a: Action) => (a.target ? options(a.target.source, eng.data, eng.me?.id).length : -1);
  const pending = (a: Action) => (a.target && pendingSources.includes(a.target.source) ? targetCount(a) : 0);
  const chosen =
    eng.actions.find((a) => a.id === eng.route.action) ??
    eng.actions.find((a) => pending(a) > 0) ??
    eng.actions.find((a) => targetCount(a) !== 0) ??
    eng.actions[0];
  const mine = eng.actions.filter((a) => a.side !== 'any');
  const either = eng.actions.filter((a) => a.side === 'any');
  return (
    <div class="act">
      <nav class="act-nav" aria-label={t('act.choose')}>
        <h2 class="sr-only">{t('act.choose')}</h2>
        {[
          { title: eng.side === 'client' ? t('act.asClient') : t('act.asSupplier'), list: mine },
          { title: t('act.either'), list: either },
        ].map((g) =>
          g.list.length === 0 ? null : (
            <div key={g.title} class="act-group">
              <h3>{g.title}</h3>
              <ul>
                {g.list.map((a) => (
                  <li key={a.id}>
                    <a
                      href={href({ page: 'engagement', id: eng.id, tab: 'act', action: a.id })}
                      aria-current={chosen?.id === a.id ? 'page' : undefined}
                      data-action={a.id}
                      class={targetCount(a) === 0 ? 'idle' : ''}
                    >
                      {t(`act.${a.id}` as MsgKey)}
                      {pending(a) > 0 && (
                        <>
                          <span class="count" aria-hidden="true">
                            {i18n.num(pending(a), 0)}
                          </span>
                          <span class="sr-only">({t('act.pending', { n: pending(a) })})</span>
                        </>
                      )}
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          ),
        )}
      </nav>
      <div class="act-main">
        {chosen ? (
          <ActionForm key={`${chosen.id}/${eng.route.target ?? ''}`} action={chosen} initialTarget={eng.route.target} />
        ) : (
          <Empty>{t('act.none')}</Empty>
        )}
      </div>
    </div>
  );
}

type Outcome =
  | { kind: 'idle' }
  | { kind: 'done'; result: WriteResult; replayed: boolean }
  | { kind: 'conflict'; current: number; changed: Fact[]; count: number }
  | { kind: 'network' }
  | { kind: 'rewritten'; detail: string; checkpoint: string }
  | { kind: 'error'; errors: FormErrors };

function initialValue(f: Field, due?: string): string | string[] {
  if (f.kind === 'multi') return [];
  if (f.initial === 'dueDate+7d') {
    // A week after the due date, or after today when that has passed.
    const base = Math.max(due ? Date.parse(due) : 0, Date.now());
    return toLocalInput(new Date(base + 7 * 86400_000));
  }
  if (f.initial === 'now') return toLocalInput(new Date());
  if (f.initial === 'now+7d') return toLocalInput(new Date(Date.now() + 7 * 86400_000));
  return f.initial ?? '';
}

function ActionForm({ action, initialTarget }: { action: Action; initialTarget: string | undefined }) {
  const { client, i18n } = useApp();
  const eng = useEng();
  const { t } = i18n;
  const targets: Option[] = useMemo(
    () => (action.target ? options(action.target.source, eng.data, eng.me?.id) : []),
    [action, eng.data, eng.me],
  );
  const [target, setTarget] = useState<string>(() =>
    initialTarget && targets.some((o) => o.value === initialTarget) ? initialTarget : targets.length === 1 ? targets[0]!.value : '',
  );
  const targetOpt = targets.find((o) => o.value === target);
  const fields = formFields(action);
  const [values, setValues] = useState<Values>(() => Object.fromEntries(fields.map((f) => [f.name, initialValue(f, targetOpt?.due)])));
  const edited = useRef(new Set<string>());
  // The revision the user saw when the form opened: the write happens only
  // if nothing was recorded since (If-Match), or the user is told what was.
  const [seen, setSeen] = useState(eng.live.revision);
  const key = useRef(newKey());
  const busy = useRef(false);
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'idle' });
  const summary = useRef<HTMLDivElement>(null);

  const fieldNames = [...fields.map((f) => f.name), TARGET];
  const errors = outcome.kind === 'error' ? outcome.errors : { fields: {}, general: [] };

  const set = (name: string, v: string | string[]) => {
    edited.current.add(name);
    setValues((old) => ({ ...old, [name]: v }));
  };

  const chooseTarget = (v: string) => {
    setTarget(v);
    const opt = targets.find((o) => o.value === v);
    // A default that depends on the target follows it until edited.
    setValues((old) => {
      const nv = { ...old };
      for (const f of fields) {
        if (f.initial === 'dueDate+7d' && !edited.current.has(f.name)) nv[f.name] = initialValue(f, opt?.due);
      }
      return nv;
    });
  };

  const focusSummary = () => setTimeout(() => summary.current?.focus(), 0);

  const submit = async (revision: number) => {
    if (busy.current) return; // a double click sends one request
    const fieldErrs: Record<string, string> = {};
    for (const m of missing(action, values)) fieldErrs[m] = t('form.required');
    if (action.target && !targetOpt) fieldErrs[TARGET] = t('form.required');
    if (Object.keys(fieldErrs).length > 0) {
      setOutcome({ kind: 'error', errors: { fields: fieldErrs, general: [t('form.fix')] } });
      focusSummary();
      return;
    }
    busy.current = true;
    setPending(true);
    try {
      const body = buildBody(action, values, targetOpt?.body);
      // A client's approval carries the last checkpoint this tab saw: the
      // server must prove its log consistent with it, or refuse (409).
      const witnessed = action.witness ? loadCheckpoint(sessionStorage) : null;
      const res = await client.POST(action.path as '/v1/engagements/{engagement_id}/changes/{change_id}/approval', {
        params: {
          path: { engagement_id: eng.id, ...(targetOpt?.params ?? {}) } as { engagement_id: string; change_id: string },
          header: {
            'If-Match': `"${revision}"`,
            'Idempotency-Key': key.current,
            ...(witnessed ? { 'X-Candor-Checkpoint': checkpointHeader(witnessed.note) } : {}),
          },
        },
        body: body as { comment?: string },
      });
      if (res.response.ok && res.data) {
        const result = res.data;
        keepReceipt(sessionStorage, { engagement: eng.id, action: action.id, received: new Date().toISOString(), result });
        if (result.receipt) seeCheckpoint(sessionStorage, result.receipt.checkpoint);
        eng.wrote(result.events.map((ev) => ev.position), result.revision);
        setOutcome({ kind: 'done', result, replayed: res.response.headers.get('Idempotency-Replayed') === 'true' });
        key.current = newKey();
        setSeen(result.revision);
        edited.current.clear();
        setValues(Object.fromEntries(fields.map((f) => [f.name, initialValue(f, targetOpt?.due)])));
        if (action.target) setTarget('');
        focusSummary();
        return;
      }
      const problem = isProblem(res.error) ? res.error : null;
      if (res.response.status === 409 && problem?.code === 'checkpoint_inconsistent') {
        // The server's log no longer holds what it showed this tab: a
        // rewritten history. Nothing was recorded; the user must know.
        setOutcome({ kind: 'rewritten', detail: problem.detail ?? '', checkpoint: witnessed?.note ?? '' });
      } else if (res.response.status === 412) {
        // Someone recorded a fact since this form opened: say what.
        const cur = await ok(client.GET('/v1/engagements/{engagement_id}', { params: { path: { engagement_id: eng.id } } })).catch(
          () => null,
        );
        const current = cur?.revision ?? eng.live.revision;
        setOutcome({
          kind: 'conflict',
          current,
          count: Math.max(0, current - revision),
          changed: eng.live.facts.filter((f) => f.revision > revision && f.revision <= current),
        });
      } else {
        setOutcome({
          kind: 'error',
          errors: problem
            ? formErrors(problem, fieldNames, t('err.generic'), (code) => (i18n.has(`problem.${code}`) ? t(`problem.${code}` as MsgKey) : null))
            : { fields: {}, general: [t('err.generic')] },
        });
      }
      focusSummary();
    } catch (e) {
      if (e instanceof NetworkError || e instanceof TypeError) setOutcome({ kind: 'network' });
      else setOutcome({ kind: 'error', errors: { fields: {}, general: [e instanceof ApiError ? e.message : t('err.generic')] } });
      focusSummary();
    } finally {
      busy.current = false;
      setPending(false);
    }
  };

  const onSubmit = (e: Event) => {
    e.preventDefault();
    void submit(seen);
  };

  const label = (f: Field): string => {
    const specific = `field.${action.id}.${f.name}`;
    return i18n.has(specific) ? t(specific) : i18n.has(`field.${f.name}`) ? t(`field.${f.name}` as MsgKey) : f.name;
  };
  const hint = (name: string): string | null => {
    const specific = `hint.${action.id}.${name}`;
    if (i18n.has(specific)) return t(specific);
    return i18n.has(`hint.${name}`) ? t(`hint.${name}` as MsgKey) : null;
  };
  const formId = `form-${action.id}`;

  return (
    <Card title={t(`act.${action.id}` as MsgKey)} id={formId}>
      {i18n.has(`actdesc.${action.id}`) && <p class="muted">{t(`actdesc.${action.id}` as MsgKey)}</p>}
      <div ref={summary} tabIndex={-1} class="form-summary">
        {outcome.kind === 'done' && (
          <Notice tone="ok" title={outcome.replayed ? t('form.replayed') : t('form.done')} role="status">
            <p data-testid="write-done">
              {outcome.result.events
                .map((ev) => (i18n.has(`ev.${ev.type}`) ? t(`ev.${ev.type}` as MsgKey) : ev.type))
                .join(', ')}
            </p>
          </Notice>
        )}
        {outcome.kind === 'rewritten' && (
          <Notice tone="risk" title={t('wit.title')} role="alert">
            <div data-testid="rewritten">
              <p>
                <strong>{t('wit.what')}</strong>
              </p>
              <p>{t('wit.detail')}</p>
              {outcome.detail && <p class="muted small">{outcome.detail}</p>}
              <p>
                {t('wit.keep')}{' '}
                <a href={href({ page: 'engagement', id: eng.id, tab: 'integrity' })}>{t('wit.toIntegrity')}</a>
              </p>
              {outcome.checkpoint && (
                <details>
                  <summary>{t('wit.seen')}</summary>
                  <pre class="note">{outcome.checkpoint}</pre>
                </details>
              )}
            </div>
          </Notice>
        )}
        {outcome.kind === 'network' && (
          <Notice tone="warn" title={t('form.network')} role="alert">
            <p>{t('form.networkDetail')}</p>
          </Notice>
        )}
        {outcome.kind === 'error' && errors.general.length > 0 && (
          <Notice tone="risk" title={t('form.failed')} role="alert">
            <ul data-testid="form-errors">
              {errors.general.map((g, i) => (
                <li key={i}>{g}</li>
              ))}
            </ul>
          </Notice>
        )}
        {outcome.kind === 'conflict' && (
          <Notice tone="warn" title={t('form.conflict', { n: outcome.count })} role="alert">
            <div data-testid="conflict">
              <p>{t('form.conflictDetail')}</p>
              {outcome.changed.length > 0 && (
                <ul class="conflict-list">
                  {outcome.changed.map((f) => {
                    const d = describe(f, eng.dir, i18n);
                    return (
                      <li key={f.id}>
                        <strong>{eng.dir.label(f.actorId, t('word.someone'))}</strong> — {d.label}
                        {d.text && `: ${d.text}`}
                      </li>
                    );
                  })}
                </ul>
              )}
              <p class="form-row">
                <button
                  type="button"
                  class="btn btn-primary"
                  onClick={() => {
                    setSeen(outcome.current);
                    void submit(outcome.current);
                  }}
                >
                  {t('form.resubmit')}
                </button>{' '}
                <button type="button" class="btn" onClick={() => { setSeen(outcome.current); setOutcome({ kind: 'idle' }); }}>
                  {t('form.review')}
                </button>
              </p>
            </div>
          </Notice>
        )}
      </div>
      <form onSubmit={onSubmit} noValidate aria-describedby={`${formId}-req`} data-form={action.id}>
        <p class="hint" id={`${formId}-req`}>
          {t('form.requiredNote')}
        </p>
        {action.target && (
          <div class={`field ${errors.fields[TARGET] ? 'invalid' : ''}`}>
            <label for={`${formId}-target`}>
              {t(`target.${action.target.source}` as MsgKey)} <span class="req" aria-hidden="true">*</span>
            </label>
            {targets.length === 0 ? (
              <p class="empty" id={`${formId}-target`}>{t('form.noTarget')}</p>
            ) : (
              <select
                id={`${formId}-target`}
                name={TARGET}
                required
                value={target}
                aria-invalid={errors.fields[TARGET] ? true : undefined}
                aria-describedby={errors.fields[TARGET] ? `${formId}-target-error` : undefined}
                onChange={(e) => chooseTarget(e.currentTarget.value)}
              >
                <option value="">{t('form.pick')}</option>
                {targets.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            )}
            {errors.fields[TARGET] && (
              <p class="error" id={`${formId}-target-error`}>
                {errors.fields[TARGET]}
              </p>
            )}
          </div>
        )}
        {fields.map((f) => (
          <FieldInput
            key={f.name}
            f={f}
            id={`${formId}-${f.name}`}
            label={label(f)}
            hint={hint(f.name)}
            error={errors.fields[f.name]}
            value={values[f.name] ?? ''}
            onChange={(v) => set(f.name, v)}
            opts={f.source ? options(f.source, eng.data, eng.me?.id) : []}
          />
        ))}
        <div class="form-row">
          <button type="submit" class="btn btn-primary" disabled={pending || (!!action.target && targets.length === 0)} data-submit>
            {pending ? t('form.sending') : t('form.submit')}
          </button>
          <span class="muted small">{t('form.asWho', { name: eng.me?.name ?? '' })}</span>
        </div>
      </form>
    </Card>
  );
}

function FieldInput({
  f,
  id,
  label,
  hint,
  error,
  value,
  onChange,
  opts,
}: {
  f: Field;
  id: string;
  label: string;
  hint: string | null;
  error: string | undefined;
  value: string | string[];
  onChange: (v: string | string[]) => void;
  opts: Option[];
}) {
  const { i18n } = useApp();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: f.name,
    required: f.required,
    'aria-invalid': error ? (true as const) : undefined,
    'aria-describedby': described,
  };
  const str = typeof value === 'string' ? value : '';
  let input;
  switch (f.kind) {
    case 'textarea':
    case 'lines':
      input = <textarea {...common} rows={f.kind === 'lines' ? 4 : 3} value={str} onInput={(e) => onChange(e.currentTarget.value)} />;
      break;
    case 'datetime':
      input = (
        <input
          {...common}
          type="datetime-local"
          max={f.name === 'occurred_at' ? toLocalInput(new Date()) : undefined}
          value={str}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      );
      break;
    case 'number':
    case 'integer':
      input = (
        <input
          {...common}
          type="text"
          inputMode={f.kind === 'integer' ? 'numeric' : 'decimal'}
          value={str}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      );
      break;
    case 'select':
      input = (
        <select {...common} value={str} onChange={(e) => onChange(e.currentTarget.value)}>
          <option value="">{f.required ? i18n.t('form.pick') : i18n.t('form.none')}</option>
          {opts.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      );
      break;
    case 'enum':
      input = (
        <select {...common} value={str} onChange={(e) => onChange(e.currentTarget.value)}>
          {(f.values ?? []).map((v) => (
            <option key={v} value={v}>
              {i18n.t(`${f.valuePrefix ?? ''}${v}` as MsgKey)}
            </option>
          ))}
        </select>
      );
      break;
    case 'multi': {
      const sel = Array.isArray(value) ? value : [];
      return (
        <fieldset class={`field ${error ? 'invalid' : ''}`} aria-describedby={described}>
          <legend>
            {label} {f.required && <span class="req" aria-hidden="true">*</span>}
            {f.required && <span class="sr-only"> ({i18n.t('form.requiredShort')})</span>}
          </legend>
          {opts.length === 0 ? (
            <p class="empty">{i18n.t('form.noChoice')}</p>
          ) : (
            <div class="checks">
              {opts.map((o) => (
                <label key={o.value} class="check">
                  <input
                    type="checkbox"
                    name={f.name}
                    value={o.value}
                    checked={sel.includes(o.value)}
                    onChange={(e) =>
                      onChange(e.currentTarget.checked ? [...sel, o.value] : sel.filter((x) => x !== o.value))
                    }
                  />{' '}
                  {o.label}
                </label>
              ))}
            </div>
          )}
          {hint && (
            <p class="hint" id={`${id}-hint`}>
              {hint}
            </p>
          )}
          {error && (
            <p class="error" id={`${id}-error`}>
              {error}
            </p>
          )}
        </fieldset>
      );
    }
    default:
      input = <input {...common} type="text" value={str} onInput={(e) => onChange(e.currentTarget.value)} />;
  }
  return (
    <div class={`field ${error ? 'invalid' : ''}`}>
      <label for={id}>
        {label} {f.required && <span class="req" aria-hidden="true">*</span>}
      </label>
      {input}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="error" id={`${id}-error`} data-error-for={f.name}>
          {error}
        </p>
      )}
    </div>
  );
}
