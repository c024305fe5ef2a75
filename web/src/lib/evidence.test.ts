import { describe, expect, it } from 'vitest';
import type { WriteResult } from '../api/types';
import {
  checkpointHeader,
  checkpointSize,
  clearEvidence,
  keepReceipt,
  loadCheckpoint,
  loadReceipts,
  MAX_RECEIPTS,
  receiptFileName,
  seeCheckpoint,
} from './evidence';

function memory(): Storage {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
    clear: () => m.clear(),
    key: (i) => [...m.keys()][i] ?? null,
    get length() {
      return m.size;
    },
  };
}

const note = (size: number) => `candor-abc\n${size}\nq83vEjsIhSA/Un+4qS27yA==\ntime 2026-12-04T20:00:00Z\n\n— candor-abc AbCdEf==\n`;

const write = (revision: number, withReceipt = true): WriteResult => ({
  events: [
    { id: 'e', type: 'assumption.made', schema_version: 1, revision, position: 40 + revision, recorded_at: '', hash: 'h', prev_hash: 'p', data: {} },
  ],
  revision,
  position: 40 + revision,
  ...(withReceipt ? { receipt: { checkpoint: note(40 + revision), leaves: [] } } : {}),
});

describe('evidence', () => {
  it('reads the size a checkpoint states, and nothing from what is not one', () => {
    expect(checkpointSize(note(57))).toBe(57);
    expect(checkpointSize('hello')).toBeNull();
    expect(checkpointSize('origin\n-3\nroot\n')).toBeNull();
  });

  it('keeps the largest checkpoint seen: the log only grows', () => {
    const s = memory();
    expect(seeCheckpoint(s, note(10))?.size).toBe(10);
    expect(seeCheckpoint(s, note(8))?.size).toBe(10);
    expect(seeCheckpoint(s, note(12))?.note).toBe(note(12));
    expect(seeCheckpoint(s, 'not a note')?.size).toBe(12);
    expect(loadCheckpoint(s)?.size).toBe(12);
  });

  it('sends the note as base64 of its UTF-8 bytes (the em dash of its signature line included)', () => {
    const h = checkpointHeader(note(3));
    const bytes = Uint8Array.from(atob(h), (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(bytes)).toBe(note(3));
    expect(h).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('keeps the writes that carry a receipt, the latest ones within a bound', () => {
    const s = memory();
    keepReceipt(s, { engagement: 'g', action: 'makeAssumption', received: '', result: write(1, false) });
    expect(loadReceipts(s)).toEqual([]);
    for (let i = 1; i <= MAX_RECEIPTS + 2; i++) keepReceipt(s, { engagement: 'g', action: 'makeAssumption', received: '', result: write(i) });
    const kept = loadReceipts(s);
    expect(kept).toHaveLength(MAX_RECEIPTS);
    expect(kept[0]!.result.revision).toBe(3);
    expect(receiptFileName(kept[0]!)).toBe('candor-receipt-g-r3.json');
  });

  it('forgets everything on sign-out, and a damaged entry is nothing', () => {
    const s = memory();
    seeCheckpoint(s, note(4));
    keepReceipt(s, { engagement: 'g', action: 'a', received: '', result: write(1) });
    clearEvidence(s);
    expect(loadReceipts(s)).toEqual([]);
    expect(loadCheckpoint(s)).toBeNull();
    s.setItem('candor.receipts', '{oops');
    expect(loadReceipts(s)).toEqual([]);
  });
});
