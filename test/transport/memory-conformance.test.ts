import test from 'ava';
import { memoryTransport } from '../../src/index.ts';
import { conformance } from './conformance.ts';

conformance(test, 'memory', { nodes: 1, make: () => memoryTransport(), cleanup: () => Promise.resolve() });
