/**
 * Climbs the concurrency ladders of the product and of the bare baseline in lockstep.
 *
 * At each N every server still climbing runs its rung, and which of the two goes first alternates from rung
 * to rung. The baseline is the yardstick of the product's share, and this machine's speed moves within
 * minutes (docs/performance.md, 2026-12-03): climbed one whole ladder after the other, the two were measured
 * some minutes apart, in what could be a different machine. A server stops climbing at its first rung that
 * fails real time or cannot be run; the other goes on alone.
 *
 * @example
 * ```ts
 * const rows = await climbLadders(["coach", "baseline"], [100, 300], (kind, calls) => runOneRung(kind, calls));
 * console.log(rows.coach.length, rows.baseline.length);
 * ```
 *
 * @module
 */
import type { RungResult, ServerKind } from "./runs.ts";

/** Runs one rung of `kind` at `calls` (retries included); null when it could not be run at all. */
export type RungRunner = (kind: ServerKind, calls: number) => Promise<RungResult | null>;

/** Each server's rows, in ladder order, up to and including its first rung that did not hold. */
export async function climbLadders(
  kinds: readonly ServerKind[],
  ladder: readonly number[],
  runRung: RungRunner,
): Promise<Record<ServerKind, RungResult[]>> {
  const rows: Record<ServerKind, RungResult[]> = { coach: [], baseline: [], cluster: [] };
  const climbing = new Set(kinds);
  for (let step = 0; step < ladder.length && climbing.size > 0; step++) {
    const order = step % 2 === 0 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      if (!climbing.has(kind)) continue;
      const row = await runRung(kind, ladder[step]);
      if (row !== null) rows[kind].push(row);
      if (row === null || !row.holds_real_time) climbing.delete(kind);
    }
  }
  return rows;
}
