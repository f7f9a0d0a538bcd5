import { describe, expect, it } from 'vitest';
import { RecentSessions } from '../../src/enforcement/recentSessions.js';
import type { SessionRecord } from '../../src/policy/sessionRecord.js';

const T0 = Date.UTC(2026, 0, 1);
const record = (id: string): SessionRecord => ({
  id,
  userId: 'u1',
  createdAtMs: T0,
  expiresAtMs: undefined,
  authenticated: true,
});

describe('RecentSessions', () => {
  it('remembers a deletion until its time to live has passed', () => {
    const memory = new RecentSessions({ deletedTtlMs: 1000, admittedTtlMs: 1000, maxEntries: 10 });
    memory.markDeleted('s1', T0);
    expect(memory.wasDeleted('s1', T0 + 999)).toBe(true);
    expect(memory.wasDeleted('s1', T0 + 1000)).toBe(false);
    expect(memory.wasDeleted('s2', T0)).toBe(false);
  });

  it('lists the sessions admitted for a user, not those of others, until they expire', () => {
    const memory = new RecentSessions({ deletedTtlMs: 1000, admittedTtlMs: 500, maxEntries: 10 });
    memory.markAdmitted('u1', record('a'), T0);
    memory.markAdmitted('u1', record('b'), T0 + 100);
    memory.markAdmitted('u2', record('c'), T0);
    expect(memory.admittedFor('u1', T0 + 200).map((r) => r.id)).toEqual(['a', 'b']);
    expect(memory.admittedFor('u1', T0 + 550).map((r) => r.id)).toEqual(['b']);
    expect(memory.admittedFor('u3', T0)).toEqual([]);
  });

  it('drops an admitted session once it was deleted', () => {
    const memory = new RecentSessions();
    memory.markAdmitted('u1', record('a'), T0);
    memory.markDeleted('a', T0 + 1);
    expect(memory.admittedFor('u1', T0 + 2)).toEqual([]);
  });

  it('admitting the same session twice keeps one entry', () => {
    const memory = new RecentSessions();
    memory.markAdmitted('u1', record('a'), T0);
    memory.markAdmitted('u1', record('a'), T0 + 1);
    expect(memory.admittedFor('u1', T0 + 2)).toHaveLength(1);
  });

  it('stays bounded: the oldest entries go first past the maximum', () => {
    const memory = new RecentSessions({ deletedTtlMs: 60_000, admittedTtlMs: 60_000, maxEntries: 3 });
    for (const id of ['s1', 's2', 's3', 's4']) memory.markDeleted(id, T0);
    expect(memory.wasDeleted('s1', T0)).toBe(false);
    expect(['s2', 's3', 's4'].every((id) => memory.wasDeleted(id, T0))).toBe(true);
    for (const user of ['u1', 'u2', 'u3', 'u4']) memory.markAdmitted(user, record(`${user}-s`), T0);
    expect(memory.admittedFor('u1', T0)).toEqual([]);
    expect(memory.admittedFor('u4', T0)).toHaveLength(1);
  });
});
