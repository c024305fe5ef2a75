import { describe, expect, it } from 'vitest';
import { openFeed, SSEParser, type FeedStatus, type SSEMessage } from './sse';

function parse(chunks: string[]) {
  const msgs: SSEMessage[] = [];
  const comments: string[] = [];
  const p = new SSEParser((m) => msgs.push(m), (c) => comments.push(c));
  for (const c of chunks) p.push(c);
  return { msgs, comments, p };
}

describe('SSEParser', () => {
  it('reads the feed as the server writes it', () => {
    const { msgs, comments, p } = parse([
      'retry: 2000\n: events of engagement e after position 52\n\n',
      'id: 53\ndata: {"position":53}\n\n',
      ': heartbeat\n\n',
    ]);
    expect(msgs).toEqual([{ id: '53', event: 'message', data: '{"position":53}' }]);
    expect(comments).toEqual(['events of engagement e after position 52', 'heartbeat']);
    expect(p.retry).toBe(2000);
    expect(p.lastEventId).toBe('53');
  });

  it('joins a message split anywhere across chunks, CRLF included', () => {
    const text = 'id: 7\r\ndata: a\r\ndata: b\r\n\r\nid: 8\ndata: c\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const { msgs } = parse([text.slice(0, cut), text.slice(cut)]);
      expect(msgs, `cut at ${cut}`).toEqual([
        { id: '7', event: 'message', data: 'a\nb' },
        { id: '8', event: 'message', data: 'c' },
      ]);
    }
  });

  it('keeps the last id for messages without one, ignores unknown fields and an unfinished message', () => {
    const { msgs } = parse(['id: 3\ndata: x\n\nfoo: bar\ndata: y\n\nevent: custom\ndata: z\n\ndata: never finished\n']);
    expect(msgs).toEqual([
      { id: '3', event: 'message', data: 'x' },
      { id: '3', event: 'message', data: 'y' },
      { id: '3', event: 'custom', data: 'z' },
    ]);
  });
});

/** A fetch whose successive answers are given in order. */
function scripted(answers: (() => Response)[]) {
  const urls: string[] = [];
  const auth: (string | null)[] = [];
  const f = (async (input: RequestInfo | URL, init?: RequestInit) => {
    urls.push(String(input));
    auth.push(new Headers(init?.headers).get('Authorization'));
    const a = answers.shift();
    if (!a) return new Promise<Response>(() => {}); // hangs, like an open stream
    return a();
  }) as typeof fetch;
  return { f, urls, auth };
}

const stream = (text: string) =>
  new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(text)); c.close(); } }), {
    headers: { 'Content-Type': 'text/event-stream' },
  });

describe('openFeed', () => {
  it('sends the token as a header, never in the URL, and resumes after the last id it saw', async () => {
    const { f, urls, auth } = scripted([
      () => stream('retry: 5\n\nid: 10\ndata: one\n\nid: 11\ndata: two\n\n'),
      () => { throw new TypeError('network down'); },
      () => stream('id: 12\ndata: three\n\n'),
    ]);
    const got: string[] = [];
    const statuses: FeedStatus[] = [];
    const waits: number[] = [];
    const stop = openFeed({
      url: 'http://x/v1/engagements/e/feed',
      token: 'cnd_secret',
      lastEventId: '9',
      onMessage: (m) => got.push(`${m.id}:${m.data}`),
      onStatus: (s) => statuses.push(s),
      fetch: f,
      sleep: async (ms) => { waits.push(ms); },
    });
    await expect.poll(() => urls.length).toBe(4); // the last stream ended too: a fourth try
    stop();
    expect(got).toEqual(['10:one', '11:two', '12:three']);
    expect(urls).toEqual([
      'http://x/v1/engagements/e/feed?last_event_id=9',
      'http://x/v1/engagements/e/feed?last_event_id=11',
      'http://x/v1/engagements/e/feed?last_event_id=11',
      'http://x/v1/engagements/e/feed?last_event_id=12',
    ]);
    for (const u of urls) expect(u).not.toContain('cnd_secret');
    expect(auth.every((a) => a === 'Bearer cnd_secret')).toBe(true);
    expect(waits).toEqual([5, 5, 5]); // the server's retry: delay
    expect(statuses.slice(0, 3)).toEqual(['connecting', 'open', 'reconnecting']);
  });

  it('gives up on 401, 403 and 404', async () => {
    for (const status of [401, 403, 404]) {
      const { f, urls } = scripted([() => new Response('', { status })]);
      const statuses: FeedStatus[] = [];
      openFeed({ url: 'http://x/feed', token: 't', onMessage: () => {}, onStatus: (s) => statuses.push(s), fetch: f, sleep: async () => {} });
      await expect.poll(() => statuses.at(-1)).toBe('closed');
      expect(urls).toHaveLength(1);
    }
  });
});
