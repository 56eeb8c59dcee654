import assert from "node:assert/strict";
import alawmulaw from "alawmulaw";
import { decodeMulaw, MULAW_LINEAR, MULAW_SQUARE } from "../../../core/audio/mulaw.ts";

Deno.test("mulaw - lookup tables match alawmulaw for every code", () => {
  for (let code = 0; code < 256; code++) {
    const linear = alawmulaw.mulaw.decodeSample(code);
    // Code 0x7f decodes to -0; the Int16Array stores it as 0, which is the same sample.
    assert.equal(MULAW_LINEAR[code], linear + 0, `code ${code}`);
    assert.equal(MULAW_SQUARE[code], linear * linear, `code ${code}`);
  }
});

Deno.test("mulaw - bit 7 of the code is the sign", () => {
  for (let code = 0; code < 256; code++) {
    if (MULAW_LINEAR[code] > 0) assert.ok(code & 0x80, `code ${code} is positive`);
    if (MULAW_LINEAR[code] < 0) assert.ok(!(code & 0x80), `code ${code} is negative`);
  }
});

Deno.test("mulaw - decodeMulaw equals alawmulaw.mulaw.decode and fills a given buffer", () => {
  const codes = new Uint8Array(1000);
  for (let i = 0; i < codes.length; i++) codes[i] = (i * 97 + 13) & 0xff;
  assert.deepEqual(decodeMulaw(codes), alawmulaw.mulaw.decode(codes));
  const out = new Int16Array(1200);
  assert.equal(decodeMulaw(codes, out), out);
  assert.deepEqual(out.subarray(0, 1000), alawmulaw.mulaw.decode(codes));
  assert.throws(() => decodeMulaw(codes, new Int16Array(10)), RangeError);
});
