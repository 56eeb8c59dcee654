/**
 * Session lifecycle and stream-alignment settings, with their documented defaults.
 *
 * Override any of them through `COACH_SETTINGS` (`{"session": {...}}`), see `core/config.ts`.
 *
 * @module
 */
import { z } from "zod";

export const SessionConfigSchema = z.strictObject({
  /** A session ends after this long (wall time) without media, e.g. when the media socket hangs. */
  idleTimeoutMs: z.number().int().min(1000).default(15_000),
  /**
   * An ended session stays listed this long (wall time), so a page that reloads after the call still shows
   * its tips; then it is dropped.
   */
  endGraceMs: z.number().int().min(0).default(600_000),
  /**
   * Once no call has run for this long (wall time), the server gives memory back to the system
   * (server/memory_release.ts); 0 turns that off.
   */
  idleReleaseMs: z.number().int().min(0).default(5_000),
  /** A slot missing on one track counts as silence once the other track is this far ahead (stream ms). */
  alignmentWindowMs: z.number().int().min(20).max(2_000).default(200),
  /**
   * Stream time analysed at once (a multiple of 20 ms): a call's slots go through the analysis in groups
   * of this length, which costs less CPU per frame than slot by slot (docs/performance.md); tips and metrics
   * come up to this length less 20 ms later. 20 analyses every slot as it completes.
   */
  analysisBatchMs: z.number().int().min(20).max(200).multipleOf(20).default(200),
  /** A frame further ahead of the newest one than this (stream ms) is rejected as a timestamp jump. */
  maxTimestampJumpMs: z.number().int().min(1_000).default(15_000),
  /**
   * With `REDIS_URL`: how long a live call's entry in the cluster's registry lives without being renewed
   * (wall time). Its instance renews it four times per period, so an instance that dies loses its calls from
   * the registry within this time, and pages elsewhere see them end.
   */
  registryTtlMs: z.number().int().min(1_000).max(60_000).default(10_000),
  /** How often metrics are produced, in stream ms (4 per second). */
  metricsIntervalMs: z.number().int().min(50).default(250),
});

export type SessionConfig = z.infer<typeof SessionConfigSchema>;

/** The defaults, as documented above (frozen: a value, shared by every call). */
export const defaultSessionConfig: SessionConfig = Object.freeze(SessionConfigSchema.parse({}));
