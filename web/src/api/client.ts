// The API client, generated from the contract: openapi-fetch over the
// types in schema.d.ts. A change of openapi.yaml that breaks a call fails
// `npm run typecheck`.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';
import type { Problem } from './types';

export type Client = ReturnType<typeof createClient<paths>>;

/** An answer other than 2xx, with its problem+json body when it had one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
}

/** No answer at all (network down, server gone, request aborted). */
export class NetworkError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * fetch that waits out a 429 on reads (Retry-After, bounded) twice before
 * giving up, so that a burst of page loads does not show an error.
 */
export function politeFetch(base: typeof fetch = fetch.bind(globalThis)): typeof fetch {
  return async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      const req = input instanceof Request ? input.clone() : input;
      let res: Response;
      try {
        res = await base(req, init);
      } catch (e) {
        if (e instanceof DOMException && e.name === 'AbortError') throw e;
        throw new NetworkError(e instanceof Error ? e.message : String(e));
      }
      const method = (input instanceof Request ? input.method : init?.method ?? 'GET').toUpperCase();
      if (res.status !== 429 || method !== 'GET' || attempt >= 2) return res;
      const wait = Math.min(5, Math.max(1, Number(res.headers.get('Retry-After')) || 1));
      await sleep(wait * 1000);
    }
  };
}

export function makeClient(server: string, token: string, onUnauthenticated: () => void): Client {
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onUnauthenticated();
      return response;
    },
  };
  const c = createClient<paths>({ baseUrl: server, fetch: politeFetch() });
  c.use(auth);
  return c;
}

/** The data of an openapi-fetch result, or an ApiError. */
export async function ok<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await p;
  if (response.ok && data !== undefined) return data;
  throw new ApiError(response.status, isProblem(error) ? error : null);
}

export function isProblem(v: unknown): v is Problem {
  return !!v && typeof v === 'object' && typeof (v as Problem).status === 'number' && typeof (v as Problem).code === 'string';
}
