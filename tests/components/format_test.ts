import assert from "node:assert/strict";
import {
  formatClockMinutes,
  formatDb,
  formatDuration,
  formatSeconds,
  formatWpm,
  UNKNOWN,
} from "../../components/format.ts";

Deno.test("Format - unknown values read as a dash, never NaN", () => {
  for (const value of [null, NaN, Infinity, -Infinity]) {
    assert.equal(formatWpm(value), UNKNOWN);
    assert.equal(formatDb(value), UNKNOWN);
    assert.equal(formatSeconds(value), UNKNOWN);
    assert.equal(formatDuration(value), UNKNOWN);
  }
  assert.equal(formatClockMinutes(NaN), UNKNOWN);
});

Deno.test("Format - durations, levels, seconds and clock times", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(-500), "0:00");
  assert.equal(formatDuration(61_999), "1:01");
  assert.equal(formatDuration(3_725_000), "1:02:05");
  assert.equal(formatDb(-18.4), "\u221218 dBov");
  assert.equal(formatDb(0.2), "0 dBov");
  assert.equal(formatWpm(141.6), "142");
  assert.equal(formatSeconds(3.24), "3.2 s");
  assert.equal(formatSeconds(14.6), "15 s");
  assert.equal(formatSeconds(-1), "0.0 s");
  assert.equal(formatClockMinutes(new Date(2026, 0, 1, 9, 5, 59).getTime()), "09:05");
});
