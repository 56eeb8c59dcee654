import assert from "node:assert/strict";
import { isLocalRequest, isLoopbackAddress, isSameOrigin, peerAddress } from "../../../server/http/access.ts";

function request(url: string, headers: Record<string, string> = {}): Request {
  return new Request(url, { method: "POST", headers });
}

Deno.test("Access - loopback Host without proxy headers is local", () => {
  for (const host of ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST", "127.0.0.1"]) {
    assert.equal(
      isLocalRequest(request("http://127.0.0.1:8000/api/calls", { host }), "127.0.0.1"),
      true,
      host,
    );
  }
  assert.equal(
    isLocalRequest(request("http://localhost:8000/api/calls"), "::1"),
    true,
    "Host taken from the URL",
  );
});

Deno.test("Access - the tunnel, a LAN address or a spoofed Host is not local", () => {
  const cases: [string, Record<string, string>][] = [
    ["cloudflared", { host: "sunny-river.trycloudflare.com", "cf-connecting-ip": "203.0.113.7" }],
    ["cloudflared with a loopback Host", { host: "127.0.0.1:8000", "cf-connecting-ip": "203.0.113.7" }],
    ["x-forwarded-for", { host: "localhost:8000", "x-forwarded-for": "203.0.113.7" }],
    ["forwarded", { host: "localhost:8000", forwarded: "for=203.0.113.7" }],
    ["LAN", { host: "192.168.1.20:8000" }],
    ["lookalike", { host: "localhost.evil.example:8000" }],
    ["DNS rebinding", { host: "rebind.evil.example" }],
  ];
  for (const [name, headers] of cases) {
    assert.equal(
      isLocalRequest(request("http://127.0.0.1:8000/api/calls", headers), "127.0.0.1"),
      false,
      name,
    );
  }
});

Deno.test("Access - only a loopback peer address is local, whatever the Host header says", () => {
  const local = request("http://127.0.0.1:8000/api/calls", { host: "127.0.0.1:8000" });
  for (const peer of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) {
    assert.equal(isLoopbackAddress(peer), true, peer);
    assert.equal(isLocalRequest(local, peer), true, peer);
  }
  for (
    const peer of ["192.0.2.2", "10.0.0.5", "::ffff:192.0.2.2", "fe80::1", "0.0.0.0", "127.0.0.1.evil", ""]
  ) {
    assert.equal(isLoopbackAddress(peer), false, peer);
    assert.equal(isLocalRequest(local, peer), false, peer);
  }
  assert.equal(isLocalRequest(local, undefined), false, "no connection info: not local");
  assert.equal(
    peerAddress({ remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 } }),
    "127.0.0.1",
  );
  assert.equal(peerAddress(undefined), undefined);
  assert.equal(peerAddress({}), undefined);
});

Deno.test("Access - same origin: Origin must match Host; Sec-Fetch-Site must not be cross-site", () => {
  const url = "http://127.0.0.1:8000/api/calls";
  assert.equal(isSameOrigin(request(url, { host: "127.0.0.1:8000" })), true, "no Origin (curl)");
  assert.equal(isSameOrigin(request(url, { host: "127.0.0.1:8000", origin: "http://127.0.0.1:8000" })), true);
  assert.equal(
    isSameOrigin(
      request(url, {
        host: "localhost:8000",
        origin: "http://localhost:8000",
        "sec-fetch-site": "same-origin",
      }),
    ),
    true,
  );
  assert.equal(isSameOrigin(request(url, { host: "127.0.0.1:8000", origin: "https://evil.example" })), false);
  assert.equal(
    isSameOrigin(request(url, { host: "127.0.0.1:8000", origin: "http://127.0.0.1:9999" })),
    false,
  );
  assert.equal(isSameOrigin(request(url, { host: "127.0.0.1:8000", origin: "null" })), false);
  assert.equal(isSameOrigin(request(url, { host: "127.0.0.1:8000", "sec-fetch-site": "cross-site" })), false);
  assert.equal(isSameOrigin(request(url, { host: "127.0.0.1:8000", "sec-fetch-site": "same-site" })), false);
});
