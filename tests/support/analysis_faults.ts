/** Frame stamps that make tests/support/faulty_analysis_worker.ts fail: one call, or the whole worker. */
export const FAULTY_FRAME_MS = 4_242_000;
export const FATAL_FRAME_MS = 4_343_000;
