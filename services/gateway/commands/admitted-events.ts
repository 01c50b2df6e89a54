import type { EventAdmission } from '../../commands/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import type { DailyEventQuota } from '../../quotas/index.ts';

/**
 * A command's room on its tenant's daily event count, some of it reserved in
 * advance with the command's token (CommandQuota.admit), so a command that
 * appends what was guessed costs no further Redis round trip. What the decision
 * appends beyond the guess is reserved then, what it appends less is given back,
 * and settle() gives back a guess no decision claimed (a refused command, or
 * one that appends nothing), so in the end only stored events count, as before.
 */
export class AdmittedEvents implements EventAdmission {
  private unclaimed: number;

  constructor(
    private readonly dailyEvents: DailyEventQuota,
    private readonly tenant: TenantId,
    private readonly limitPerDay: number,
    reservedInAdvance: number,
    /** Throws the refusal for a decision that does not fit today's count. */
    private readonly refuse: (retryAfterMs: number) => never,
  ) {
    this.unclaimed = reservedInAdvance;
  }

  async reserve(events: number): Promise<void> {
    // A batch over the whole limit claims nothing, so record() refuses it as it always has.
    const claimed = events <= this.limitPerDay ? Math.min(this.unclaimed, events) : 0;
    const surplus = this.unclaimed - claimed;
    this.unclaimed = 0;
    if (surplus > 0) await this.dailyEvents.release(this.tenant, surplus);
    if (events === claimed) return;
    const decision = await this.dailyEvents.record(this.tenant, events - claimed, this.limitPerDay);
    if (decision.allowed) return;
    // All or nothing: the part reserved in advance goes back with the refusal.
    if (claimed > 0) await this.dailyEvents.release(this.tenant, claimed);
    this.refuse(decision.retryAfterMs);
  }

  release(events: number): Promise<void> {
    return this.dailyEvents.release(this.tenant, events);
  }

  /** Gives back what was reserved in advance and never claimed; once the command is done. */
  async settle(): Promise<void> {
    const unclaimed = this.unclaimed;
    this.unclaimed = 0;
    if (unclaimed > 0) await this.dailyEvents.release(this.tenant, unclaimed);
  }
}
