import assert from "node:assert/strict";
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "../../core/config.ts";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be rejected`);
}

Deno.test("Config - defaults with an empty environment", () => {
  const config = loadConfig({});
  assert.equal(config.port, 8000);
  assert.equal(config.publicUrl, "http://127.0.0.1:8000");
  assert.equal(config.publicUrlSet, false);
  assert.equal(config.agentTrack, "outbound");
  assert.equal(config.logLevel, "info");
  assert.equal(config.twilio.authToken, undefined);
  assert.equal(config.session.idleTimeoutMs, 15_000);
  assert.equal(config.session.endGraceMs, 600_000);
});

Deno.test("Config - blank values (a copied .env.example) count as unset", () => {
  const config = loadConfig({ PORT: "", PUBLIC_URL: " ", TWILIO_AUTH_TOKEN: "", AGENT_TRACK: "" });
  assert.equal(config.port, 8000);
  assert.equal(config.publicUrlSet, false);
  assert.equal(config.agentTrack, "outbound");
});

Deno.test("Config - every variable is read and valid values pass", () => {
  const config = loadConfig({
    PORT: "9001",
    PUBLIC_URL: "https://abc.trycloudflare.com/",
    TWILIO_ACCOUNT_SID: "AC" + "0123456789abcdef".repeat(2),
    TWILIO_AUTH_TOKEN: "secret-token-123",
    TWILIO_PHONE_NUMBER: "+15551234567",
    AGENT_PHONE_NUMBER: "+15557654321",
    AGENT_TRACK: "inbound",
    LOG_LEVEL: "debug",
  });
  assert.equal(config.port, 9001);
  assert.equal(config.publicUrl, "https://abc.trycloudflare.com", "trailing slash removed");
  assert.equal(config.publicUrlSet, true);
  assert.equal(config.agentTrack, "inbound");
  assert.equal(config.agentPhoneNumber, "+15557654321");
  assert.equal(config.logLevel, "debug");
  assert.deepEqual(CONFIG_VARIABLES.filter((name) => name !== "UI_ACCESS_KEY").slice(0, 8), [
    "PORT",
    "PUBLIC_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_PHONE_NUMBER",
    "AGENT_PHONE_NUMBER",
    "AGENT_TRACK",
    "LOG_LEVEL",
  ]);
});

Deno.test("Config - a wrong value names the variable and the fix", () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ PORT: "eighty" }, "PORT", /TCP port number/],
    [{ PORT: "70000" }, "PORT", /TCP port/],
    [{ PUBLIC_URL: "http://example.com" }, "PUBLIC_URL", /https/],
    [{ PUBLIC_URL: "not a url" }, "PUBLIC_URL", /public https:\/\/ URL/],
    [{ PUBLIC_URL: "https://x.example.com/?a=1" }, "PUBLIC_URL", /query string/],
    [{ TWILIO_ACCOUNT_SID: "XY123" }, "TWILIO_ACCOUNT_SID", /Account SID/],
    [{ TWILIO_PHONE_NUMBER: "555-1234" }, "TWILIO_PHONE_NUMBER", /E\.164/],
    [{ AGENT_PHONE_NUMBER: "0044 20 1234" }, "AGENT_PHONE_NUMBER", /E\.164/],
    [{ AGENT_TRACK: "both" }, "AGENT_TRACK", /"outbound".*"inbound"/],
    [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL", /debug, info, warn, error/],
    [{ UI_ACCESS_KEY: "short" }, "UI_ACCESS_KEY", /at least 16 characters/],
    [{ COACH_SETTINGS: "{oops" }, "COACH_SETTINGS", /not JSON/],
    [{ COACH_SETTINGS: '{"coaching":{"noSuchThreshold":1}}' }, "COACH_SETTINGS", /noSuchThreshold/],
    [{ COACH_SETTINGS: '{"analysis":{"minPauseMs":120}}' }, "COACH_SETTINGS", /minPauseMs/],
    [{ REDIS_URL: "http://127.0.0.1:6379" }, "REDIS_URL", /redis:\/\/127\.0\.0\.1:6379/],
    [{ REDIS_URL: "127.0.0.1:6379" }, "REDIS_URL", /leave it unset/],
    [{ INSTANCE_ID: "coach #1" }, "INSTANCE_ID", /letters, digits/],
    [{ REDIS_URL: "redis://r:6379", UI_ACCESS_KEY: "k".repeat(16) }, "TWILIO_AUTH_TOKEN", /every instance/],
    [{ REDIS_URL: "redis://r:6379", TWILIO_AUTH_TOKEN: "t".repeat(16) }, "UI_ACCESS_KEY", /same one/],
  ];
  for (const [env, variable, fix] of cases) {
    const error = configError(env);
    assert.equal(error.variable, variable, JSON.stringify(env));
    assert.match(error.message, new RegExp(`^${variable}: `));
    assert.match(error.message, fix, error.message);
  }
});

Deno.test("Config - without REDIS_URL one self-contained process; with it, a cluster instance", () => {
  const alone = loadConfig({});
  assert.equal(alone.redisUrl, undefined);
  assert.equal(alone.instanceId, undefined, "the server names itself from its host and process");
  const member = loadConfig({
    REDIS_URL: "rediss://:secret@redis.internal:6380/0",
    INSTANCE_ID: "coach-2.eu_west",
    TWILIO_AUTH_TOKEN: "t".repeat(16),
    UI_ACCESS_KEY: "k".repeat(16),
  });
  assert.equal(member.redisUrl, "rediss://:secret@redis.internal:6380/0");
  assert.equal(member.instanceId, "coach-2.eu_west");
  assert.equal(member.session.registryTtlMs, 10_000);
});

Deno.test("Config - every variable is in .env.example and in the README's configuration table", () => {
  const example = Deno.readTextFileSync(new URL("../../.env.example", import.meta.url));
  const readme = Deno.readTextFileSync(new URL("../../README.md", import.meta.url));
  for (const name of CONFIG_VARIABLES) {
    assert.match(example, new RegExp(`^${name}=`, "m"), `${name} in .env.example`);
    assert.match(readme, new RegExp(`^\\| \`${name}\` +\\|`, "m"), `${name} in the README table`);
  }
});

Deno.test("Config - http PUBLIC_URL is allowed on loopback only", () => {
  assert.equal(loadConfig({ PUBLIC_URL: "http://127.0.0.1:8000" }).publicUrl, "http://127.0.0.1:8000");
  assert.equal(loadConfig({ PUBLIC_URL: "http://localhost:8000" }).publicUrlSet, true);
});

Deno.test("Config - COACH_SETTINGS overrides session settings and keeps other defaults", () => {
  const config = loadConfig({ COACH_SETTINGS: '{"session":{"idleTimeoutMs":5000}}' });
  assert.equal(config.session.idleTimeoutMs, 5000);
  assert.equal(config.session.endGraceMs, 600_000);
  assert.deepEqual(config.coaching, loadConfig({}).coaching);
});

Deno.test("Config - a refused secret is named with its rule, and its value is never in the message", () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ UI_ACCESS_KEY: "short-secret" }, "UI_ACCESS_KEY", /must be at least 16 characters/],
    [{ TWILIO_AUTH_TOKEN: "abc1234" }, "TWILIO_AUTH_TOKEN", /must be at least 8 characters/],
  ];
  for (const [env, variable, rule] of cases) {
    const error = configError(env);
    assert.equal(error.variable, variable);
    assert.match(error.message, new RegExp(`^${variable}: the value is refused: it `));
    assert.match(error.message, rule);
    assert.ok(!error.message.includes(env[variable]), `the value is not printed: ${error.message}`);
    assert.ok(!/invalid value/.test(error.message), error.message);
  }
});

Deno.test("Config - AI phrasing is off without COACH_LLM_BASE_URL, whatever else is set", () => {
  assert.equal(loadConfig({}).phrasing, null);
  assert.equal(loadConfig({ COACH_LLM_MODEL: "llama3.2", COACH_LLM_API_KEY: "sk-secret" }).phrasing, null);
});

Deno.test("Config - AI phrasing settings and their defaults", () => {
  assert.deepEqual(
    loadConfig({ COACH_LLM_BASE_URL: "http://127.0.0.1:11434/v1/", COACH_LLM_MODEL: "llama3.2:3b" }).phrasing,
    {
      baseUrl: "http://127.0.0.1:11434/v1",
      apiKey: undefined,
      model: "llama3.2:3b",
      timeoutMs: 1000,
      maxInFlight: 16,
      language: "en",
    },
  );
  const full = loadConfig({
    COACH_LLM_BASE_URL: "https://api.openai.com/v1",
    COACH_LLM_API_KEY: "sk-test-0123456789",
    COACH_LLM_MODEL: "gpt-4o-mini",
    COACH_LLM_TIMEOUT_MS: "800",
    COACH_LLM_MAX_IN_FLIGHT: "4",
    COACH_LANGUAGE: "de",
  }).phrasing;
  assert.equal(full?.apiKey, "sk-test-0123456789");
  assert.equal(full?.timeoutMs, 800);
  assert.equal(full?.maxInFlight, 4);
  assert.equal(full?.language, "de");
});

Deno.test("Config - a wrong AI phrasing setting names the variable and the fix, never the key", () => {
  const key = "sk-live-SECRET-0123456789abcdef";
  const base = { COACH_LLM_MODEL: "m", COACH_LLM_API_KEY: key };
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ ...base, COACH_LLM_BASE_URL: key }, "COACH_LLM_BASE_URL", /not an http/],
    [{ ...base, COACH_LLM_BASE_URL: "ftp://example.com/v1" }, "COACH_LLM_BASE_URL", /OpenAI-compatible/],
    [{ ...base, COACH_LLM_BASE_URL: `https://u:${key}@example.com/v1` }, "COACH_LLM_BASE_URL", /credentials/],
    [{ ...base, COACH_LLM_BASE_URL: "https://example.com/v1?key=1" }, "COACH_LLM_BASE_URL", /query/],
    [{ ...base, COACH_LLM_BASE_URL: "http://10.0.0.5:11434/v1" }, "COACH_LLM_BASE_URL", /https/],
    [{ COACH_LLM_BASE_URL: "https://example.com/v1" }, "COACH_LLM_MODEL", /required.*model name/],
    [
      { ...base, COACH_LLM_BASE_URL: "https://x.example/v1", COACH_LLM_TIMEOUT_MS: "5000" },
      "COACH_LLM_TIMEOUT_MS",
      /1\.5 s/,
    ],
    [{ ...base, COACH_LLM_MAX_IN_FLIGHT: "0" }, "COACH_LLM_MAX_IN_FLIGHT", /1 to 1000/],
    [{ ...base, COACH_LANGUAGE: "klingon" }, "COACH_LANGUAGE", /en, de, fr, es/],
  ];
  for (const [env, variable, fix] of cases) {
    const error = configError(env);
    assert.equal(error.variable, variable, JSON.stringify(env));
    assert.match(error.message, fix, error.message);
    assert.ok(!error.message.includes("SECRET"), `the key is not in "${error.message}"`);
  }
  // Plain http to another machine is fine without a key (a local-network model server).
  assert.equal(
    loadConfig({ COACH_LLM_BASE_URL: "http://10.0.0.5:11434/v1", COACH_LLM_MODEL: "m" }).phrasing?.baseUrl,
    "http://10.0.0.5:11434/v1",
  );
});
