/**
 * Cues for the test workers: frame stamps that make tests/support/faulty_analysis_worker.ts fail (one call,
 * the whole worker, or the worker stuck for good), and how late tests/support/slow_start_analysis_worker.ts
 * starts.
 */
export const FAULTY_FRAME_MS = 4_242_000;
export const FATAL_FRAME_MS = 4_343_000;
export const STUCK_FRAME_MS = 4_444_000;
/** How late tests/support/slow_start_analysis_worker.ts starts (ms). */
export const SLOW_START_MS = 1_500;
