// A Server-Sent Events reader over fetch. EventSource cannot send an
// Authorization header, and a bearer token must never travel in a URL, so
// the app reads the feed with fetch (which sends the header) and parses the
// stream itself, following the HTML standard's event-stream rules. On a
// dropped stream it reconnects after the server's `retry:` delay and
// resumes after the last id it saw.

export interface SSEMessage {
  id: string;
  event: string;
  data: string;
}

/** Incremental parser of a text/event-stream body. */
export class SSEParser {
  private buf = '';
  private data: string[] = [];
  private event = '';
  private idBuf: string;
  /** The last event id seen, as the standard's "last event ID buffer". */
  lastEventId: string;
  /** The reconnection delay the server asked for, in ms. */
  retry: number | undefined;

  constructor(
    private readonly onMessage: (m: SSEMessage) => void,
    private readonly onComment: (text: string) => void = () => {},
    lastEventId = '',
  ) {
    this.lastEventId = lastEventId;
    this.idBuf = lastEventId;
  }

  /** Feeds a chunk of decoded text; complete lines are processed. */
  push(chunk: string): void {
    this.buf += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (!m) return;
      // A lone CR at the end may be the first half of a CRLF split across chunks.
      if (m[0] === '\r' && m.index === this.buf.length - 1) return;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.onComment(line.slice(1).trimStart());
      return;
    }
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.idBuf = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
  }

  private dispatch(): void {
    this.lastEventId = this.idBuf;
    if (this.data.length === 0) {
      this.event = '';
      return;
    }
    const m: SSEMessage = { id: this.lastEventId, event: this.event || 'message', data: this.data.join('\n') };
    this.data = [];
    this.event = '';
    this.onMessage(m);
  }
}

export type FeedStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface FeedOptions {
  /** Absolute URL of the feed. */
  url: string;
  token: string;
  /** Resume after this id (a global position); empty: from the start. */
  lastEventId?: string;
  onMessage: (m: SSEMessage) => void;
  onStatus?: (s: FeedStatus, httpStatus?: number) => void;
  fetch?: typeof fetch;
  /** Delay before reconnecting when the server gave none (ms). */
  retryMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Opens the feed and keeps it open until the returned function is called.
 * The resume point travels as the `last_event_id` query parameter (a
 * position, not a secret; a custom Last-Event-ID header would need a CORS
 * allowance the API does not give). 401, 403 and 404 end it for good.
 */
export function openFeed(o: FeedOptions): () => void {
  const stop = new AbortController();
  const doFetch = o.fetch ?? fetch.bind(globalThis);
  const sleep = o.sleep ?? defaultSleep;
  let last = o.lastEventId ?? '';
  let retry = o.retryMs ?? 2000;

  const run = async () => {
    let first = true;
    while (!stop.signal.aborted) {
      o.onStatus?.(first ? 'connecting' : 'reconnecting');
      first = false;
      try {
        const u = new URL(o.url);
        if (last) u.searchParams.set('last_event_id', last);
        const res = await doFetch(u.toString(), {
          headers: { Authorization: `Bearer ${o.token}`, Accept: 'text/event-stream' },
          cache: 'no-store',
          signal: stop.signal,
        });
        if (res.status === 401 || res.status === 403 || res.status === 404) {
          o.onStatus?.('closed', res.status);
          return;
        }
        if (res.ok && res.body) {
          o.onStatus?.('open', res.status);
          const parser = new SSEParser(o.onMessage, undefined, last);
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          try {
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              parser.push(value);
              last = parser.lastEventId;
            }
          } finally {
            last = parser.lastEventId;
            if (parser.retry !== undefined) retry = parser.retry;
          }
        } else {
          await res.body?.cancel();
        }
      } catch {
        // A network failure or an abort: retry unless stopped.
      }
      if (stop.signal.aborted) break;
      o.onStatus?.('reconnecting');
      await sleep(retry, stop.signal);
    }
    o.onStatus?.('closed');
  };
  void run();
  return () => stop.abort();
}
