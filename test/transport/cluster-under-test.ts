import type { TestFn } from 'ava';
import { clusterTransport } from '../../src/index.ts';
import { conformance } from './conformance.ts';

/**
 * The conformance suite on the cluster transport: three systems on one channel, in a real
 * node:cluster worker (test/fixtures/cluster-conformance.ts), relayed by the primary (the ava process).
 */
export function clusterConformance(test: TestFn): void {
  conformance(test, 'cluster', { nodes: 3, make: (bus) => clusterTransport({ channel: bus }), cleanup: () => Promise.resolve() });
}
