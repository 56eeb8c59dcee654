/**
 * The import rules of docs/architecture.md, checked on every source file: a module that reaches across a
 * layer fails here with the file, the import and the rule it breaks.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));

/** A folder's rule: which project folders and which npm packages its modules may import. */
interface Rule {
  folder: string;
  /** Project paths (folder prefixes) it may import; other project paths are refused. */
  may: string[];
  /** npm packages it may not import (the web framework, the page's libraries). */
  packagesNot?: string[];
  why: string;
}

const WEB = ["hono", "preact", "@preact/signals", "preact-render-to-string", "esbuild", "@twind/core"];
const PRODUCT = ["core/", "lib/", "server/", "routes/", "islands/", "components/", "simulator/"];

const RULES: Rule[] = [
  {
    folder: "core/",
    may: ["core/"],
    packagesNot: WEB,
    why: "core/ is pure: no server, routes, page or framework",
  },
  {
    folder: "islands/",
    may: ["islands/", "components/", "core/protocol/"],
    why: "the page imports only core/protocol from the server side",
  },
  {
    folder: "components/",
    may: ["components/", "islands/", "core/protocol/"],
    why: "the page imports only core/protocol from the server side",
  },
  {
    folder: "lib/",
    may: ["core/", "lib/"],
    packagesNot: WEB,
    why: "lib/ is shared by every process: core/ only",
  },
  { folder: "server/", may: PRODUCT, why: "the server never reaches into tools/, bench/ or tests/" },
  { folder: "routes/", may: PRODUCT, why: "the server never reaches into tools/, bench/ or tests/" },
  // The demo and `deno task live` start a server, so they build the page's islands first (islands/glue.ts).
  {
    folder: "simulator/",
    may: ["core/", "lib/", "server/", "simulator/", "islands/glue.ts"],
    why: "routes/ is the URL map, not a library",
  },
  {
    folder: "tools/",
    may: ["core/", "lib/", "server/", "simulator/", "tools/", "tests/fixtures/", "islands/glue.ts"],
    why: "routes/ is the URL map, not a library",
  },
  // The phrasing bench runs the tests' fake OpenAI-compatible model on loopback.
  {
    folder: "bench/",
    may: ["core/", "lib/", "server/", "simulator/", "bench/", "tests/support/fake_model.ts"],
    why: "routes/ is the URL map, not a library",
  },
];

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory && entry.name !== "node_modules" && entry.name !== "build") {
      yield* sourceFiles(path);
    } else if (/\.tsx?$/.test(entry.name)) yield path;
  }
}

/** `… from "x"`, `import "x"` and `import("x")`. */
const SPECIFIER = /\bfrom\s*["']([^"']+)["']|\bimport\s*\(?\s*["']([^"']+)["']/g;

/** Every import of `file`: project paths relative to the root, or npm package names. */
export function importsOf(file: string, source: string): { project: string[]; packages: string[] } {
  const project: string[] = [];
  const packages: string[] = [];
  for (const match of source.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2];
    if (specifier.startsWith(".")) project.push(relative(ROOT, join(ROOT, dirname(file), specifier)));
    else if (!specifier.startsWith("node:")) {
      packages.push(
        specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0],
      );
    }
  }
  return { project, packages };
}

/** The rule breaches of every file under `rule.folder`, one line each. */
async function breaches(rule: Rule): Promise<string[]> {
  const found: string[] = [];
  for await (const file of sourceFiles(rule.folder)) {
    const { project, packages } = importsOf(file, await Deno.readTextFile(join(ROOT, file)));
    for (const target of project) {
      if (!rule.may.some((prefix) => target.startsWith(prefix))) found.push(`${file} imports ${target}`);
    }
    for (const name of packages) {
      if (rule.packagesNot?.includes(name)) found.push(`${file} imports the package ${name}`);
    }
  }
  return found;
}

for (const rule of RULES) {
  Deno.test(`Architecture - ${rule.folder} imports only what docs/architecture.md allows`, async () => {
    assert.deepEqual(await breaches(rule), [], rule.why);
  });
}

Deno.test("Architecture - the check sees a breach: a core module importing routes/ and hono", () => {
  const source = `import { Hono } from "hono";\nimport { createApp } from "../../routes/app.ts";\n`;
  const { project, packages } = importsOf("core/session/x.ts", source);
  assert.deepEqual(project, ["routes/app.ts"]);
  assert.deepEqual(packages, ["hono"]);
  const rule = RULES.find((r) => r.folder === "core/")!;
  assert.equal(rule.may.some((prefix) => project[0].startsWith(prefix)), false);
  assert.equal(rule.packagesNot!.includes(packages[0]), true);
});

Deno.test("Architecture - routes/ holds only route modules (the URL map)", async () => {
  const notRoutes: string[] = [];
  for await (const file of sourceFiles("routes/")) {
    const source = await Deno.readTextFile(join(ROOT, file));
    if (!/\bnew Hono\(\)/.test(source)) notRoutes.push(file);
  }
  assert.deepEqual(notRoutes, [], "a module in routes/ mounts routes; helpers belong in server/ or lib/");
});
