import assert from "node:assert/strict";
import { parseDotEnv } from "../../core/dotenv.ts";

Deno.test("dotenv - assignments, comments, quotes, export and blank values", () => {
  const text = [
    "# comment",
    "PORT=8000",
    "",
    "export LOG_LEVEL=debug",
    'PUBLIC_URL="https://x.example.com"',
    "TWILIO_AUTH_TOKEN='abc def'",
    "AGENT_TRACK=outbound # the default",
    "EMPTY=",
    "not an assignment",
    'COACH_SETTINGS={"session":{"idleTimeoutMs":5000}}',
  ].join("\n");
  assert.deepEqual(parseDotEnv(text), {
    PORT: "8000",
    LOG_LEVEL: "debug",
    PUBLIC_URL: "https://x.example.com",
    TWILIO_AUTH_TOKEN: "abc def",
    AGENT_TRACK: "outbound",
    EMPTY: "",
    COACH_SETTINGS: '{"session":{"idleTimeoutMs":5000}}',
  });
});
