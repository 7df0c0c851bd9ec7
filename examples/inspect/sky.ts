import type { InspectionEvent } from 'xstate';

/**
 * The online recipe: Stately's Sky inspector (`@statelyai/inspect`), for users with internet. It
 * prints the inspection URL once its socket opens; open it to see every actor's statechart live.
 * Loaded only when asked for. Offline it cannot connect: it says so once and stops forwarding,
 * since the socket would queue every event in memory while it keeps retrying.
 *
 *   const inspect = await skyInspector();
 *   const system = createSystem({ topics, ...(inspect ? { inspect } : {}) });
 */
export async function skyInspector(): Promise<((event: InspectionEvent) => void) | undefined> {
  let enabled = true;
  const disable = (why: string): void => {
    if (!enabled) return;
    enabled = false;
    console.error(`INSPECT: ${why}; the demo keeps running without inspection.`);
  };
  try {
    const { createSkyInspector } = await import('@statelyai/inspect');
    const inspector = createSkyInspector({
      // PartySocket reports a DOM-style ErrorEvent here, whatever the declared type says.
      onerror: (error: { message?: unknown }) =>
        disable(`cannot reach Stately Sky (${String(error?.message ?? 'connection failed')}; is there internet access?)`),
    });
    return (event) => {
      if (!enabled) return;
      try {
        inspector.inspect.next?.(event);
      } catch (error) {
        disable(`the inspector failed (${error instanceof Error ? error.message : String(error)})`);
      }
    };
  } catch (error) {
    disable(`could not start @statelyai/inspect (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
}
