import type { SessionRecord } from '../policy/sessionRecord.js';

/**
 * What this process did in the last few minutes that ZITADEL's session search cannot show yet (it lags by about a
 * minute): sessions it deleted, which the search keeps listing, and sessions it admitted, which the search does
 * not list yet. Without it, five logins of one user within a minute would each see only themselves and all
 * stay; and a ghost of a deleted session would count toward the limit and push out one that should stay.
 * In-process and bounded; with several replicas the next login after the lag still converges.
 */
export class RecentSessions {
  readonly #deletedUntil = new Map<string, number>();
  readonly #admitted = new Map<string, { readonly record: SessionRecord; readonly until: number }[]>();

  constructor(
    private readonly options = { deletedTtlMs: 5 * 60_000, admittedTtlMs: 2 * 60_000, maxEntries: 50_000 },
  ) {}

  markDeleted(sessionId: string, nowMs: number): void {
    this.#deletedUntil.delete(sessionId);
    this.#deletedUntil.set(sessionId, nowMs + this.options.deletedTtlMs);
    // Maps iterate in insertion order: the first entries are the oldest.
    for (const [id, until] of this.#deletedUntil) {
      if (this.#deletedUntil.size <= this.options.maxEntries && until > nowMs) break;
      this.#deletedUntil.delete(id);
    }
  }

  wasDeleted(sessionId: string, nowMs: number): boolean {
    const until = this.#deletedUntil.get(sessionId);
    return until !== undefined && until > nowMs;
  }

  markAdmitted(userId: string, record: SessionRecord, nowMs: number): void {
    const entries = this.#liveAdmitted(userId, nowMs).filter((entry) => entry.record.id !== record.id);
    entries.push({ record, until: nowMs + this.options.admittedTtlMs });
    this.#admitted.delete(userId);
    this.#admitted.set(userId, entries);
    for (const [key, list] of this.#admitted) {
      if (this.#admitted.size <= this.options.maxEntries && list.some((entry) => entry.until > nowMs)) break;
      this.#admitted.delete(key);
    }
  }

  /** Sessions of the user admitted recently and not deleted since. */
  admittedFor(userId: string, nowMs: number): SessionRecord[] {
    return this.#liveAdmitted(userId, nowMs)
      .map((entry) => entry.record)
      .filter((record) => !this.wasDeleted(record.id, nowMs));
  }

  #liveAdmitted(userId: string, nowMs: number) {
    return (this.#admitted.get(userId) ?? []).filter((entry) => entry.until > nowMs);
  }
}
