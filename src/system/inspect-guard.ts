import type { InspectionEvent } from 'xstate';

/** A throwing inspector must not break the actor that happened to emit the inspection event. */
export function guardInspect(inspect: (event: InspectionEvent) => void): (event: InspectionEvent) => void {
  let reported = false;
  return (event) => {
    try {
      inspect(event);
    } catch (error) {
      if (!reported) console.error('[sse-actors] the inspect callback threw (reported once):', error);
      reported = true;
    }
  };
}
