import assert from "node:assert/strict";
import { launchChromium } from "../support/browser.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { serveStatic } from "hono/deno";
import { renderToString } from "preact-render-to-string";
import { buildIslands, island } from "../../islands/glue.ts";
import Counter from "./fixtures/counter.tsx";

const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));
const TRICKY_LABEL = `It's "quoted" </script><b>& not bold</b>`;

Deno.test("Islands glue - island() wraps the SSR HTML in a marker with JSON props", () => {
  const html = renderToString(island("counter", Counter, { start: 3, label: TRICKY_LABEL }));
  const doc = new DOMParserLike(html);
  assert.equal(doc.attr("data-island"), "counter");
  assert.deepEqual(JSON.parse(doc.attr("data-props")), { start: 3, label: TRICKY_LABEL });
  assert.match(html, /<button type="button">3<\/button>/);
  assert.doesNotMatch(html, /<\/script>/, "props must not be able to close a script or inject markup");
});

Deno.test("Islands glue - island() rejects a name that is not an island file name", () => {
  assert.throws(() => island("Counter Panel", Counter, { start: 0, label: "" }), /snake_case file name/);
});

Deno.test("Islands glue - buildIslands fails clearly when there is no island", async () => {
  const empty = await Deno.makeTempDir();
  try {
    await assert.rejects(buildIslands({ islandsDir: empty, outDir: join(empty, "out") }), /No islands/);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("Islands glue - the browser hydrates the server HTML instead of re-rendering it", async () => {
  const outDir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(outDir, "counter-OLDHASH1.js"), "// a chunk of an earlier build");
  const build = await buildIslands({ islandsDir: FIXTURES, outDir });
  assert.deepEqual(build.islands, ["counter"]);
  const files = [...Deno.readDirSync(outDir)].map((entry) => entry.name);
  assert.ok(files.includes("boot.js"), `boot.js missing in ${files.join(", ")}`);
  assert.ok(!files.includes("counter-OLDHASH1.js"), "chunks of earlier builds are pruned");
  assert.ok(
    files.some((name) => /^counter-[A-Z0-9]+\.js$/.test(name)),
    `no counter chunk in ${files.join(", ")}`,
  );

  const app = new Hono();
  // No boot script in the page: the test marks the SSR nodes first, then loads it.
  app.get(
    "/",
    (c) =>
      c.html(
        `<!doctype html><html><head><link rel="icon" href="data:,"></head><body><main>${
          renderToString(island("counter", Counter, { start: 3, label: TRICKY_LABEL }))
        }</main></body></html>`,
      ),
  );
  app.use(
    "/static/build/*",
    serveStatic({ root: outDir, rewriteRequestPath: (p) => p.slice("/static/build".length) }),
  );
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
    await page.goto(`http://127.0.0.1:${server.addr.port}/`);

    await page.click("button"); // before hydration a click does nothing
    assert.equal(await page.textContent("button"), "3");
    await page.evaluate(() => {
      (document.querySelector("button") as HTMLButtonElement & { ssrNode?: boolean }).ssrNode = true;
      // preact's render() would also reuse the nodes but reset this attribute to the vnode's; hydrate() adopts it.
      document.querySelector(".label")!.setAttribute("class", "label from-server");
    });

    await page.addScriptTag({ url: "/static/build/boot.js", type: "module" });
    await page.waitForSelector("[data-island=counter][data-hydrated=true]", { timeout: 5000 });

    const kept = await page.evaluate(() =>
      (document.querySelector("button") as HTMLButtonElement & { ssrNode?: boolean }).ssrNode === true
    );
    assert.equal(kept, true, "the button must be the server-rendered node, not a fresh one");
    assert.equal(await page.locator("button").count(), 1);
    assert.equal(await page.getAttribute("p", "class"), "label from-server", "hydrated, not re-rendered");
    assert.equal(await page.textContent(".label"), TRICKY_LABEL);
    await page.click("button");
    await page.waitForFunction(() => document.querySelector("button")?.textContent === "4");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.shutdown();
    await Deno.remove(outDir, { recursive: true });
  }
});

/** Just enough parsing to read the marker's attributes back (Deno has no DOMParser). */
class DOMParserLike {
  constructor(private html: string) {}
  attr(name: string): string {
    const match = new RegExp(`${name}="([^"]*)"`).exec(this.html);
    if (!match) throw new Error(`attribute ${name} not found in ${this.html}`);
    return match[1].replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">")
      .replaceAll("&#39;", "'").replaceAll("&amp;", "&");
  }
}
