/**
 * Islands glue: the "Fresh shape without Fresh".
 *
 * Server side, {@link island} renders a component to HTML inside a marker element that names the island and
 * carries its JSON props. {@link buildIslands} bundles every `islands/*.tsx` (default export = the component)
 * with a generated boot script; in the browser the boot script finds the markers and `hydrate`s each island
 * with its props, so the server-rendered DOM is kept and only made interactive.
 *
 * @example
 * ```tsx
 * import CoachPanel from "./coach_panel.tsx";
 * const body = <main>{island("coach_panel", CoachPanel, { wsPath: "/ws/ui" })}<BootScript /></main>;
 * ```
 *
 * @module
 */
import { type ComponentType, h, type JSX } from "preact";
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Where the bundles are written by default; git-ignored. */
export const DEFAULT_BUILD_DIR: string = join(PROJECT_ROOT, "static", "build");
/** URL the page loads the boot script from (served by `routes/index.tsx`). */
export const BOOT_SCRIPT_URL = "/static/build/boot.js";

/** Props must survive `JSON.stringify` → `JSON.parse` unchanged, since the browser gets them as JSON. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Server-render `Component` as the island `name` (its file name in `islands/` without `.tsx`).
 * The wrapper uses `display: contents` so it does not change the page layout.
 */
export function island<P extends { [key: string]: JsonValue }>(
  name: string,
  Component: ComponentType<P>,
  props: P,
): JSX.Element {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) {
    throw new Error(`Island name "${name}" must be the snake_case file name of islands/${name}.tsx`);
  }
  return h(
    "div",
    { "data-island": name, "data-props": JSON.stringify(props), style: "display:contents" },
    h(Component, props),
  );
}

/** The `<script type="module">` that hydrates the islands; put it once at the end of `<body>`. */
export function BootScript(): JSX.Element {
  return h("script", { type: "module", src: BOOT_SCRIPT_URL });
}

/** Options of {@link buildIslands}. */
export interface BuildIslandsOptions {
  /** Rebuild on every change of an island or anything it imports (dev). Default false. */
  watch?: boolean;
  /** Output directory. Default `static/build/` in the project. */
  outDir?: string;
  /** Where the islands live. Default `islands/` in the project (tests point this at fixtures). */
  islandsDir?: string;
  /** Minify and drop source maps. Default: true unless `watch`. */
  minify?: boolean;
}

/** A finished (or watching) build. */
export interface IslandsBuild {
  outDir: string;
  /** Island names found, e.g. `["coach_panel"]`. */
  islands: string[];
  /** Stop watching (if watching) and stop esbuild's service once no other build needs it. */
  stop(): Promise<void>;
}

// esbuild runs one child process per Deno process; stop it when the last build is done so tests don't leak.
let activeBuilds = 0;
async function releaseEsbuild(): Promise<void> {
  activeBuilds -= 1;
  if (activeBuilds === 0) await esbuild.stop();
}

/** Bundle every island plus the boot script into `outDir` (ESM, shared chunks, hashed chunk names). */
export async function buildIslands(options: BuildIslandsOptions = {}): Promise<IslandsBuild> {
  const watch = options.watch ?? false;
  const outDir = options.outDir ?? DEFAULT_BUILD_DIR;
  const islandsDir = options.islandsDir ?? join(PROJECT_ROOT, "islands");
  const islands = await findIslands(islandsDir);
  const buildOptions: esbuild.BuildOptions = {
    entryPoints: [{ in: "islands:boot", out: "boot" }],
    absWorkingDir: PROJECT_ROOT,
    outdir: outDir,
    bundle: true,
    format: "esm",
    splitting: true, // each island becomes a chunk; preact, signals and zod are shared chunks
    platform: "browser",
    target: ["es2022"],
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: options.minify ?? !watch,
    sourcemap: (options.minify ?? !watch) ? false : "linked",
    chunkNames: "[name]-[hash]",
    nodePaths: [join(PROJECT_ROOT, "node_modules")],
    logLevel: "warning",
    metafile: true,
    plugins: [
      bootModulePlugin(islandsDir),
      sharedPackagesPlugin(),
      staleOutputPruner(outDir),
      ...(watch ? [rebuildReporter()] : []),
    ],
  };
  activeBuilds += 1;
  try {
    if (!watch) {
      await esbuild.build(buildOptions);
      await releaseEsbuild();
      return { outDir, islands, stop: () => Promise.resolve() };
    }
    const context = await esbuild.context(buildOptions);
    await context.rebuild();
    await context.watch();
    return {
      outDir,
      islands,
      stop: async () => {
        await context.dispose();
        await releaseEsbuild();
      },
    };
  } catch (error) {
    await releaseEsbuild();
    throw new Error(`Building the islands in ${islandsDir} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** In watch mode, say when a build is done, since the page needs a reload to pick it up. */
function rebuildReporter(): esbuild.Plugin {
  return {
    name: "rebuild-reporter",
    setup(build) {
      build.onEnd((result) => {
        if (result.errors.length === 0) console.log(`Islands built at ${new Date().toLocaleTimeString()}`);
      });
    },
  };
}

/** Delete chunks of earlier builds: their names carry old content hashes and would pile up. */
function staleOutputPruner(outDir: string): esbuild.Plugin {
  return {
    name: "stale-output-pruner",
    setup(build) {
      build.onEnd(async (result) => {
        if (result.errors.length > 0 || !result.metafile) return;
        const current = new Set(Object.keys(result.metafile.outputs).map((path) => join(PROJECT_ROOT, path)));
        for await (const entry of Deno.readDir(outDir)) {
          const path = join(outDir, entry.name);
          if (entry.isFile && !current.has(path)) await Deno.remove(path);
        }
      });
    },
  };
}

async function findIslands(islandsDir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(islandsDir)) {
    if (entry.isFile && entry.name.endsWith(".tsx")) names.push(entry.name.slice(0, -".tsx".length));
  }
  if (names.length === 0) throw new Error(`No islands (*.tsx) found in ${islandsDir}`);
  return names.sort();
}

/**
 * The boot script, generated because it must list the islands. Each island is a dynamic import, so esbuild
 * splits it into its own chunk and the page only downloads the islands it actually contains.
 */
function bootModulePlugin(islandsDir: string): esbuild.Plugin {
  return {
    name: "islands-boot",
    setup(build) {
      build.onResolve({ filter: /^islands:boot$/ }, () => ({ path: "boot", namespace: "islands-boot" }));
      build.onLoad({ filter: /.*/, namespace: "islands-boot" }, async () => ({
        contents: bootModule(islandsDir, await findIslands(islandsDir)),
        loader: "js",
        resolveDir: PROJECT_ROOT,
        watchDirs: [islandsDir], // in watch mode a new island file regenerates the boot script
      }));
    },
  };
}

function bootModule(islandsDir: string, islands: string[]): string {
  const loaders = islands
    .map((name) =>
      `  ${JSON.stringify(name)}: () => import(${JSON.stringify(join(islandsDir, `${name}.tsx`))}),`
    )
    .join("\n");
  return `import { h, hydrate } from "preact";
const loaders = {\n${loaders}\n};
for (const marker of document.querySelectorAll("[data-island]")) {
  const name = marker.dataset.island;
  const load = loaders[name];
  if (!load) {
    console.error("Island " + name + " is not in the build: add islands/" + name + ".tsx and rebuild.");
    continue;
  }
  load()
    .then((mod) => {
      hydrate(h(mod.default, JSON.parse(marker.dataset.props || "{}")), marker);
      marker.dataset.hydrated = "true";
    })
    .catch((error) => console.error("Island " + name + " failed to hydrate:", error));
}
`;
}

/**
 * Resolve preact, @preact/signals and zod from the project's node_modules whoever imports them, so there is
 * exactly one copy of each in the bundle (two preacts break hooks and signals), and say what to do if
 * node_modules is missing.
 */
function sharedPackagesPlugin(): esbuild.Plugin {
  return {
    name: "shared-packages",
    setup(build) {
      build.onResolve({ filter: /^(preact|@preact\/signals|zod)(\/.*)?$/ }, async (args) => {
        if (args.pluginData?.fromProjectRoot) return undefined;
        const result = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: PROJECT_ROOT,
          pluginData: { fromProjectRoot: true },
        });
        if (result.errors.length > 0) {
          const hint = `cannot find "${args.path}" in ${
            join(PROJECT_ROOT, "node_modules")
          }; run "deno install".`;
          return { errors: result.errors.map((e) => ({ ...e, text: `${e.text} (${hint})` })) };
        }
        return { path: result.path, sideEffects: result.sideEffects };
      });
    },
  };
}
