import assert from "node:assert/strict";
import { buildIslands } from "../../islands/glue.ts";
import { pageRoutes } from "../../routes/index.tsx";

Deno.test("Page routes - the page, its bundles and static files with the right types and caching", async () => {
  const buildDir = await Deno.makeTempDir();
  try {
    await buildIslands({ outDir: buildDir });
    const app = pageRoutes({ buildDir });

    const page = await app.request("/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    const html = await page.text();
    assert.match(html, /^<!DOCTYPE html><html lang="en">/);
    assert.match(
      html,
      /<style data-twind>[^<]*\.bg-\\\[\\#FFEBEE\\\]\{/,
      "severity colours are in the inlined CSS",
    );
    assert.match(html, /@keyframes tip-in\{from\{opacity:0/, "cards fade in");
    assert.match(html, /prefers-reduced-motion:reduce\)\{\.motion-reduce\\:animate-none\{animation:none\}/);
    assert.match(html, /prefers-reduced-motion:reduce\)\{\.motion-reduce\\:transition-none/);
    assert.match(
      html,
      /data-island="coach_panel" data-props="\{&quot;wsPath&quot;:&quot;\/ws\/ui&quot;,&quot;targets&quot;:\{&quot;paceWpm&quot;:\{&quot;min&quot;:110,&quot;max&quot;:160\},&quot;levelDb&quot;:\{&quot;min&quot;:-38,&quot;max&quot;:-16\}\}\}"/,
      "the island gets the socket path and the meters' target zones",
    );
    assert.match(html, /<script type="module" src="\/static\/build\/boot.js"><\/script>/);
    assert.match(html, /Coaching starts by itself when a call connects/);

    const boot = await app.request("/static/build/boot.js");
    assert.equal(boot.status, 200);
    assert.equal(boot.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(boot.headers.get("cache-control"), "no-cache");
    const chunk = /import\("\.\/(coach_panel-[A-Z0-9]{8}\.js)"\)/.exec(await boot.text())?.[1];
    assert.ok(chunk, "boot.js imports the island chunk by its hashed name");
    const island = await app.request(`/static/build/${chunk}`, { headers: { "accept-encoding": "gzip" } });
    assert.equal(island.status, 200);
    assert.equal(island.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(island.headers.get("content-encoding"), "gzip");
    await island.body?.cancel();

    const icon = await app.request("/static/favicon.svg");
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get("content-type"), "image/svg+xml; charset=utf-8");
    assert.equal(icon.headers.get("cache-control"), "public, max-age=3600");
    await icon.body?.cancel();

    const missing = await app.request("/static/build/nope.js");
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const escape = await app.request("/static/..%2f..%2fdeno.json");
    assert.equal(escape.status, 404);
    await escape.body?.cancel();
  } finally {
    await Deno.remove(buildDir, { recursive: true });
  }
});
