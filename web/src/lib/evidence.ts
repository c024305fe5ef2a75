// The evidence a client keeps (docs/EVIDENCE.md): the receipt of every write
// made in this tab, and the last checkpoint of the transparency log the app
// saw, which a client's approval sends back (X-Candor-Checkpoint) so that
// the server must prove its log consistent with what it showed before.
// Both live in sessionStorage, like the session: gone with the tab, and
// cleared on sign-out (the Integrity screen says to download them first).
import type { WriteResult } from '../api/types';

export interface KeptReceipt {
  engagement: string;
  /** The action's id (its label comes from the dictionary). */
  action: string;
  /** When the answer arrived (the browser's clock). */
  received: string;
  /** The whole write response: `candor verify --receipts DIR` reads it as is. */
  result: WriteResult;
}

export interface SeenCheckpoint {
  /** The signed note, as the server gave it. */
  note: string;
  size: number;
}

const RECEIPTS = 'candor.receipts';
const CHECKPOINT = 'candor.checkpoint';
/** A bound on what one tab keeps (sessionStorage holds a few MB). */
export const MAX_RECEIPTS = 500;

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function loadReceipts(store: Pick<Storage, 'getItem'>): KeptReceipt[] {
  try {
    const v = JSON.parse(store.getItem(RECEIPTS) ?? '[]') as unknown;
    return Array.isArray(v) ? (v as KeptReceipt[]).filter((r) => r && typeof r.engagement === 'string' && r.result) : [];
  } catch {
    return [];
  }
}

/** Keeps a write's response when it carries a receipt; returns the list kept. */
export function keepReceipt(store: Store, r: KeptReceipt): KeptReceipt[] {
  const list = loadReceipts(store);
  if (!r.result.receipt) return list;
  list.push(r);
  const kept = list.slice(-MAX_RECEIPTS);
  store.setItem(RECEIPTS, JSON.stringify(kept));
  return kept;
}

/** The size a signed note states (its second line), or null if it is not a checkpoint. */
export function checkpointSize(note: string): number | null {
  const line = note.split('\n')[1] ?? '';
  return /^\d+$/.test(line) ? Number(line) : null;
}

export function loadCheckpoint(store: Pick<Storage, 'getItem'>): SeenCheckpoint | null {
  try {
    const v = JSON.parse(store.getItem(CHECKPOINT) ?? 'null') as SeenCheckpoint | null;
    return v && typeof v.note === 'string' && typeof v.size === 'number' ? v : null;
  } catch {
    return null;
  }
}

/**
 * Remembers a checkpoint when it is newer (a larger tree) than the one kept:
 * the log only grows, so the largest is the last one seen.
 */
export function seeCheckpoint(store: Store, note: string): SeenCheckpoint | null {
  const size = checkpointSize(note);
  const cur = loadCheckpoint(store);
  if (size === null || (cur && cur.size >= size)) return cur;
  const cp = { note, size };
  store.setItem(CHECKPOINT, JSON.stringify(cp));
  return cp;
}

export function clearEvidence(store: Pick<Storage, 'removeItem'>): void {
  store.removeItem(RECEIPTS);
  store.removeItem(CHECKPOINT);
}

/** X-Candor-Checkpoint: the signed note, base64 (std) of its UTF-8 bytes (it spans lines, and its signature line starts with an em dash). */
export function checkpointHeader(note: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(note)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The file name of a kept receipt: one JSON file each, as `--receipts DIR` reads them. */
export function receiptFileName(r: KeptReceipt): string {
  const first = r.result.events[0];
  return `candor-receipt-${r.engagement}-r${first?.revision ?? r.result.revision}.json`;
}
