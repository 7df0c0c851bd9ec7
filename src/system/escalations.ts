import { actorKind, type ActorKind } from '../actors/tree.ts';
import type { EscalationReport } from '../actors/supervisor.ts';

/** Escalations counted by the kind of actor given up on, each reported to `onEscalation` (which may throw: logged, never rethrown). */
export class Escalations {
  total = 0;
  readonly byKind: Record<ActorKind, number> = { registry: 0, history: 0, partition: 0, connection: 0 };

  constructor(private readonly onEscalation: (report: EscalationReport) => void) {}

  escalated(report: EscalationReport): void {
    this.total += 1;
    this.byKind[actorKind(report.actor)] += 1;
    try {
      this.onEscalation(report);
    } catch (error) {
      console.error('[sse-actors] the onEscalation callback threw:', error);
    }
  }
}
