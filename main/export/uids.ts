/** Export-wide state of de-identification: the UID map and the per-patient date offsets. */
import { randomInt, randomUUID } from 'node:crypto';

/** A new UID under the 2.25 root: the decimal form of a random (version 4) UUID (PS3.5 B.2). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString(10)}`;
}

/**
 * Original UID -> new UID, shared by every file of one export, so references between files stay
 * consistent (files of one study share the new Study Instance UID, a Referenced SOP Instance UID points
 * at the new SOP Instance UID of the file it names). The map lives only in memory.
 */
export class UidMap {
  private readonly map = new Map<string, string>();

  constructor(private readonly generate: () => string = newUid) {}

  replace(original: string): string {
    const key = original.replace(/[\0 ]+$/, '').trim();
    if (!key) return '';
    let uid = this.map.get(key);
    if (!uid) {
      uid = this.generate();
      this.map.set(key, uid);
    }
    return uid;
  }

  /** A UID that stands for no original (dummy values). */
  fresh(): string {
    return this.generate();
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * One date offset per original Patient ID, drawn once per export: a whole number of days in
 * [-maxDays, -1] or [1, maxDays], never 0. Files of one patient keep their intervals.
 */
export class DateShifter {
  private readonly offsets = new Map<string, number>();

  constructor(
    readonly maxDays: number,
    private readonly draw: (maxDays: number) => number = (n) => (randomInt(2) === 0 ? -1 : 1) * randomInt(1, n + 1),
  ) {
    if (!Number.isInteger(maxDays) || maxDays < 1) throw new RangeError('the date shift must be a whole number of days, at least 1');
  }

  offsetFor(patientId: string): number {
    const key = patientId.trim();
    let days = this.offsets.get(key);
    if (days === undefined) {
      days = this.draw(this.maxDays);
      this.offsets.set(key, days);
    }
    return days;
  }
}

function shiftYmd(ymd: string, days: number): string | null {
  const y = Number(ymd.slice(0, 4));
  const m = Number(ymd.slice(4, 6));
  const d = Number(ymd.slice(6, 8));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  date.setUTCDate(date.getUTCDate() + days);
  const yy = date.getUTCFullYear();
  if (yy < 1 || yy > 9999) return null;
  return `${String(yy).padStart(4, '0')}${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCDate()).padStart(2, '0')}`;
}

/** Shifts every value of a DA (YYYYMMDD, or the old YYYY.MM.DD); null when a value is not a full date. */
export function shiftDate(value: string, days: number): string | null {
  const out: string[] = [];
  for (const part of value.split('\\')) {
    const v = part.trim();
    if (v === '') {
      out.push('');
      continue;
    }
    const compact = /^\d{4}\.\d{2}\.\d{2}$/.test(v) ? v.replace(/\./g, '') : v;
    if (!/^\d{8}$/.test(compact)) return null;
    const shifted = shiftYmd(compact, days);
    if (shifted === null) return null;
    out.push(shifted);
  }
  return out.join('\\');
}

/** Shifts the date part of every DT value (YYYYMMDD[HHMMSS[.F]][&ZZXX]); null when one has no full date. */
export function shiftDateTime(value: string, days: number): string | null {
  const out: string[] = [];
  for (const part of value.split('\\')) {
    const v = part.trim();
    if (v === '') {
      out.push('');
      continue;
    }
    const m = /^(\d{8})([0-9.+\-&]*)$/.exec(v);
    if (!m) return null;
    const shifted = shiftYmd(m[1]!, days);
    if (shifted === null) return null;
    out.push(shifted + m[2]!);
  }
  return out.join('\\');
}
