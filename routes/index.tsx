/**
 * The agent page and its static files, as a Hono sub-app the server mounts at "/".
 *
 * - `GET /`: the page, server-rendered (empty state) with its CSS inlined; the island hydrates it.
 * - `GET /static/build/*`: the island bundles from `buildIslands()`. `boot.js` keeps its name, so browsers
 *   revalidate it; chunks carry a content hash in their name, so they are cached for a year.
 * - `GET /static/*`: files from `static/` (favicon), cached for an hour.
 * - All of it gzip-compressed when the browser accepts it (the island bundle is mostly zod: ~450 KB → ~110 KB).
 *
 * @module
 */
import { Hono } from "hono";
import { serveStatic } from "hono/deno";
import { compress } from "hono/compress";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { BootScript, DEFAULT_BUILD_DIR, island } from "../islands/glue.ts";
import CoachPanel, { type CoachPanelProps } from "../islands/coach_panel.tsx";
import type { MeterTargets } from "../islands/meter_display.ts";
import { type CoachingConfig, defaultCoachingConfig } from "../core/coaching/config.ts";
import { PageShell, renderPage } from "../components/page_shell.tsx";
import { contentSecurityPolicy, inlineStyleHashes } from "../server/http/security_headers.ts";

const STATIC_DIR = fileURLToPath(new URL("../static", import.meta.url));
// esbuild's default chunk names end in "-" + an 8-character base32 content hash.
const HASHED_FILE = /-[A-Z0-9]{8}\.js(\.map)?$/;

/** Options of {@link pageRoutes}; the defaults are what the app uses, tests point them elsewhere. */
export interface PageRoutesOptions {
  /** Where `buildIslands()` wrote the bundles. Default `static/build/`. */
  buildDir?: string;
  /** Path of the UI socket the page connects to. Default "/ws/ui". */
  wsPath?: string;
  /** The coaching thresholds the meters show as target zones. Default: the documented defaults. */
  coaching?: CoachingConfig;
}

/** The meters' target zones: the thresholds of the pace and volume rules. */
export function meterTargets(coaching: CoachingConfig): MeterTargets {
  return {
    paceWpm: { min: coaching.slowWpm, max: coaching.fastWpm },
    levelDb: { min: coaching.softDb, max: coaching.loudDb },
  };
}

/** The page routes. Call `buildIslands()` (islands/glue.ts) before serving, or the page stays static. */
export function pageRoutes(options: PageRoutesOptions = {}): Hono {
  const buildDir = options.buildDir ?? DEFAULT_BUILD_DIR;
  const wsPath = options.wsPath ?? "/ws/ui";
  const targets = meterTargets(options.coaching ?? defaultCoachingConfig);
  const app = new Hono();
  // The page is the same for everyone (the live state arrives over the socket), so render it once.
  let page: { html: string; csp: string } | null = null;
  // Only this sub-app's paths: a bare use() here would wrap every route of the server once mounted at "/".
  app.use("/", compress());
  app.use("/static/*", compress());

  app.get("/", (c) => {
    if (page === null) {
      const html = renderAgentPage({ wsPath, targets }, buildDir);
      page = { html, csp: contentSecurityPolicy(inlineStyleHashes(html)) };
    }
    c.header("Cache-Control", "no-cache");
    c.header("Content-Security-Policy", page.csp);
    return c.html(page.html);
  });

  app.get(
    "/static/build/*",
    serveStatic({
      root: buildDir,
      rewriteRequestPath: (path) => path.slice("/static/build".length),
      onFound: (path, c) => {
        c.header(
          "Cache-Control",
          HASHED_FILE.test(path) ? "public, max-age=31536000, immutable" : "no-cache",
        );
      },
    }),
  );
  // Keep a missing bundle from falling through to the /static/* handler below.
  app.get(
    "/static/build/*",
    (c) => c.text("Not found. Are the islands built? (buildIslands in islands/glue.ts)", 404),
  );

  app.get(
    "/static/*",
    serveStatic({
      root: STATIC_DIR,
      rewriteRequestPath: (path) => path.slice("/static".length),
      onFound: (_path, c) => {
        c.header("Cache-Control", "public, max-age=3600");
      },
    }),
  );
  return app;
}

function renderAgentPage(props: CoachPanelProps, buildDir: string): string {
  try {
    Deno.statSync(join(buildDir, "boot.js"));
  } catch (error) {
    // Not fatal: the page still renders, but it will not update live. Say so where the operator looks.
    console.error(
      `The islands are not built in ${buildDir} (${
        (error as Error).message
      }): call buildIslands() before serving.`,
    );
  }
  return renderPage(
    <PageShell title="Live Call Coach">
      {island("coach_panel", CoachPanel, props)}
      <BootScript />
    </PageShell>,
  );
}
