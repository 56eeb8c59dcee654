import * as esbuild from "esbuild";
const r = await esbuild.build({ entryPoints: ["islands/coach_panel.tsx"], bundle: true, format: "esm", minify: true, write: false, metafile: true, jsx: "automatic", jsxImportSource: "preact", outdir: "/tmp/x", platform: "browser" });
const inputs = Object.entries(r.metafile.outputs)[0][1].inputs;
const byPkg: Record<string, number> = {};
for (const [k, v] of Object.entries(inputs)) { const m = /node_modules\/\.deno\/([^/]+)/.exec(k); const key = m ? m[1] + (k.includes("locales") ? " locales" : "") : k; byPkg[key] = (byPkg[key] ?? 0) + v.bytesInOutput; }
console.log(Object.entries(byPkg).sort((a, b) => b[1] - a[1]).slice(0, 15));
await esbuild.stop();
