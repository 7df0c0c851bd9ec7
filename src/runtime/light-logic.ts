const LIGHT: unique symbol = Symbol('sse-actors.light-logic');

/**
 * Marks actor logic that a supervisor starts in a `FlatActor` although it is no flat statechart:
 * a supervisor under another (a partition) or a service (registry, history). Such logic reads of
 * its scope only what the light actor has (`id`, `self`, `defer`, `stopChild`): the actor is its
 * own scope. The root supervisor, created with xstate's `createActor`, is unaffected by the mark.
 */
export function lightLogic<L extends object>(logic: L): L {
  return Object.assign(logic, { [LIGHT]: true });
}

/** True for logic marked with {@link lightLogic}. */
export function isLightLogic(logic: object): boolean {
  return (logic as { [LIGHT]?: true })[LIGHT] === true;
}
