import assert from "node:assert/strict";
import { findExecutable, parseTunnelUrl } from "../../tools/cloudflared.ts";

Deno.test("Cloudflared - the tunnel URL is read from the banner, not from other URLs", () => {
  assert.equal(
    parseTunnelUrl(
      "2026-11-24T18:40:01Z INF |  https://sunny-river-tables-hope.trycloudflare.com                         |",
    ),
    "https://sunny-river-tables-hope.trycloudflare.com",
  );
  assert.equal(
    parseTunnelUrl("INF |  https://Some-Words.TryCloudflare.com  |"),
    "https://some-words.trycloudflare.com",
  );
  const notTunnels = [
    "INF If you intend to use Tunnels in production … https://developers.cloudflare.com/cloudflare-one/connections",
    "INF Requesting new quick Tunnel on trycloudflare.com...",
    'ERR failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: i/o timeout',
    "INF http://plain-http.trycloudflare.com",
    "INF https://sunny.trycloudflare.com.evil.example",
  ];
  for (const line of notTunnels) assert.equal(parseTunnelUrl(line), null, line);
});

Deno.test("Cloudflared - findExecutable looks through PATH for an executable file", async () => {
  const [first, second] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    await Deno.writeTextFile(`${first}/cloudflared`, "not executable", { mode: 0o644 });
    await Deno.mkdir(`${first}/tool`);
    await Deno.writeTextFile(`${second}/cloudflared`, "#!/bin/sh\n", { mode: 0o755 });
    assert.equal(findExecutable("cloudflared", `${first}::/nonexistent:${second}/`), `${second}/cloudflared`);
    assert.equal(findExecutable("tool", first), null, "a directory is not an executable");
    assert.equal(findExecutable("cloudflared", first), null);
    assert.equal(findExecutable("cloudflared", undefined), null);
  } finally {
    await Deno.remove(first, { recursive: true });
    await Deno.remove(second, { recursive: true });
  }
});
