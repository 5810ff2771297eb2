// Hooks for tests that run the real binary: crash points (OUTFLOW_CRASH_AT).
export { CRASH_POINTS, type CrashPoint, crashPoint } from './crash-points.js';
