/** The HTML document around the page, and its server render with the twind CSS inlined. */
import type { ComponentChildren, VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { consume, defineConfig, extract, twind, virtual } from "@twind/core";
import presetTailwind from "@twind/preset-tailwind";
import { StyleSamples } from "./style_samples.tsx";

const tw = twind(
  defineConfig({
    presets: [presetTailwind()],
    hash: false,
    theme: {
      extend: {
        keyframes: {
          "tip-in": {
            from: { opacity: "0", transform: "translateY(-0.5rem)" },
            to: { opacity: "1", transform: "none" },
          },
        },
        // `backwards`, not `both`: a finished fade-in must not keep holding opacity 1, or the card's own
        // opacity-0 (when it leaves) would be overridden and the 0.5 s fade-out would never show.
        animation: { "tip-in": "tip-in 0.3s ease-out backwards" },
      },
    },
  }),
  virtual(),
);
// Once, at startup: the CSS of every state the island can reach (see style_samples.tsx).
consume(renderToString(<StyleSamples />), tw);

/** `<html>` with head and body; `children` is the body content. */
export function PageShell(props: { title: string; children: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>{props.title}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
      </head>
      <body class="bg-slate-50 antialiased">{props.children}</body>
    </html>
  );
}

/** Render a full page to an HTML string with the CSS for its classes (and the island's) inlined. */
export function renderPage(page: VNode): string {
  const { html, css } = extract(renderToString(page), tw);
  return `<!DOCTYPE html>${html.replace("</head>", `<style data-twind>${css}</style></head>`)}`;
}
