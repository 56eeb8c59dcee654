import { pageRoutes } from "../routes/index.tsx";
const html = await (await pageRoutes().request("/")).text();
const css = html.slice(html.indexOf("<style data-twind>"), html.indexOf("</style>"));
console.log(css.length, css.match(/@keyframes[^{]*\{[^}]*\}[^}]*\}[^}]*\}/g), css.match(/@media \(prefers-reduced-motion:reduce\)\{[^}]*\}/g)?.slice(0, 3));
