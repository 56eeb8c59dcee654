import assert from "node:assert/strict";
import { defaultAnalysisConfig } from "../../core/audio/config.ts";
import { defaultCoachingConfig } from "../../core/coaching/config.ts";
import { loadConfig } from "../../core/config.ts";
import { perConfig } from "../../core/per_config.ts";
import { defaultSessionConfig } from "../../core/session/config.ts";

Deno.test("Per-config settings - a frozen config is derived once and shared", () => {
  let derivations = 0;
  const factor = perConfig((config: { db: number }) => {
    derivations++;
    return { factor: 10 ** (config.db / 10) };
  });
  const config = Object.freeze({ db: 10 });
  const first = factor(config);
  assert.equal(first.factor, 10);
  assert.equal(factor(config), first);
  assert.equal(derivations, 1);
  // Another frozen config with the same values is another key: derived for itself.
  assert.notEqual(factor(Object.freeze({ db: 10 })), first);
  assert.equal(derivations, 2);
});

Deno.test("Per-config settings - an unfrozen config is derived afresh, so a change is never missed", () => {
  const factor = perConfig((config: { db: number }) => ({ factor: 10 ** (config.db / 10) }));
  const config = { db: 10 };
  assert.equal(factor(config).factor, 10);
  config.db = 20;
  assert.equal(factor(config).factor, 100);
});

Deno.test("Per-config settings - a failing derivation is not cached", () => {
  let calls = 0;
  const strict = perConfig((config: { db: number }) => {
    calls++;
    if (config.db > 0) throw new RangeError("db must be ≤ 0");
    return config.db;
  });
  const bad = Object.freeze({ db: 3 });
  assert.throws(() => strict(bad), /db must be ≤ 0/);
  assert.throws(() => strict(bad), /db must be ≤ 0/);
  assert.equal(calls, 2);
});

Deno.test("Per-config settings - the defaults and the server's parsed settings are frozen", () => {
  for (const config of [defaultAnalysisConfig, defaultCoachingConfig, defaultSessionConfig]) {
    assert.ok(Object.isFrozen(config));
  }
  const server = loadConfig({ COACH_SETTINGS: '{"coaching":{"fastWpm":170}}' });
  assert.equal(server.coaching.fastWpm, 170);
  for (const config of [server.analysis, server.coaching, server.session]) assert.ok(Object.isFrozen(config));
  assert.throws(() => {
    (server.coaching as { fastWpm: number }).fastWpm = 1;
  }, TypeError);
});
