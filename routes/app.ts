/**
 * The HTTP application: every route of the server in one Hono app, as a plain fetch handler.
 *
 * `GET /health`, Twilio's webhooks under `/webhooks/twilio`, the media socket `/ws/twilio/media/{CallSid}`,
 * the page sockets `/ws/ui[/{session_id}]`, click-to-call `/api/calls`, the sample call `/api/sample-call`,
 * the agent page and its login.
 * The contract is in docs/protocol.md; who may see what is in docs/security.md.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppConfig } from "../core/config.ts";
import type { Logger } from "../core/log.ts";
import type { PageFeed, SessionRegistry } from "../core/session/registry.ts";
import type { ClusterMember } from "../server/cluster_member.ts";
import { apiCallRoutes, MAX_CALL_REQUEST_BYTES } from "./api_calls.ts";
import { bodyCap } from "../server/http/body_limit.ts";
import { pageRoutes } from "./index.tsx";
import { MediaUpgradeGuard } from "../server/media_guard.ts";
import { upgradeMediaSocket } from "../server/media_socket.ts";
import { upgradeUiSocket } from "../server/ui_socket.ts";
import type { SampleCallPlayer } from "../server/sample_call_player.ts";
import { sampleCallRoutes } from "./sample_call.ts";
import { securityHeaders } from "../server/http/security_headers.ts";
import { uiAccess } from "../server/http/ui_access.ts";
import { loginRoutes } from "./login.ts";
import { twilioWebhooks } from "./webhooks.ts";

/** What the app needs from the running server. */
export interface AppDeps {
  config: AppConfig;
  registry: SessionRegistry;
  /** What pages follow: the registry alone, or the whole cluster's calls. */
  feed: PageFeed;
  /** This instance's part in the cluster (null without `REDIS_URL`). */
  cluster: ClusterMember | null;
  instanceId: string;
  /** The token Twilio signs with (or the ephemeral local one). */
  authToken: string;
  /** The key remote viewers of the page need. */
  accessKey: string;
  log: Logger;
  /** Wall clock, ms since the epoch. */
  now: () => number;
  /** Server start, wall ms. */
  startedAt: number;
  /** Registers an open page socket for shutdown; returns the function that unregisters it. */
  trackSocket: (socket: WebSocket) => () => void;
  /** The optional AI phrasing of tips, for its counts on `/health` (null: off). */
  phrasing?: { health(): object } | null;
  /** Plays the page's "Play a sample call" through this server. */
  sampleCalls: SampleCallPlayer;
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Builds the app. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const { registry, log } = deps;
  const access = { accessKey: deps.accessKey, log };
  app.use(securityHeaders());
  app.use(uiAccess(access));
  app.route("/", loginRoutes(access));

  // `status` is about this instance, which coaches its calls whatever Redis does; `redis` says whether it
  // also hears the rest of the cluster.
  app.get("/health", (c) => {
    const cluster = deps.cluster?.health();
    return c.json({
      status: "ok",
      instance_id: deps.instanceId,
      redis: cluster?.redis ?? "off",
      local_sessions: registry.activeCount,
      cluster_sessions: cluster?.cluster_sessions ?? registry.activeCount,
      redis_dropped: cluster?.redis_dropped ?? 0,
      uptime_s: Math.floor((deps.now() - deps.startedAt) / 1000),
      phrasing: deps.phrasing?.health() ?? { enabled: false },
    });
  });

  app.route("/webhooks/twilio", twilioWebhooks(deps));

  const guard = new MediaUpgradeGuard({ authToken: deps.authToken, publicUrl: deps.config.publicUrl, log });

  app.get("/ws/twilio/media/:callSid", (c) => {
    const callSid = c.req.param("callSid");
    if (!isWebSocketUpgrade(c.req.raw)) {
      return c.text("Expected a WebSocket upgrade (Twilio Media Streams).", 426);
    }
    if (!SESSION_ID.test(callSid)) return c.text("Bad request: malformed CallSid in the path.", 400);
    return upgradeMediaSocket(c.req.raw, callSid, { ...deps, guard });
  });

  const ui = (sessionId: string | null) => (c: { req: { raw: Request } }) => {
    if (!isWebSocketUpgrade(c.req.raw)) return new Response("Expected a WebSocket upgrade.", { status: 426 });
    return upgradeUiSocket(c.req.raw, sessionId, { feed: deps.feed, log, track: deps.trackSocket });
  };
  app.get("/ws/ui", (c) => ui(null)(c));
  app.get("/ws/ui/:sessionId", (c) => {
    const sessionId = c.req.param("sessionId");
    if (!SESSION_ID.test(sessionId)) return c.text("Bad request: malformed session id.", 400);
    return ui(sessionId)(c);
  });

  // Request bodies are counted while they stream in: a chunked upload has no Content-Length to trust.
  app.use(
    "/api/*",
    bodyCap(MAX_CALL_REQUEST_BYTES, (c) => {
      log.warn("api_rejected", {
        path: c.req.path,
        reason: `body too large: over ${MAX_CALL_REQUEST_BYTES} bytes`,
        content_length: c.req.header("content-length") ?? null,
      });
      return c.json({ error: `Request body over ${MAX_CALL_REQUEST_BYTES} bytes.` }, 413);
    }, { log }),
  );
  app.route("/api/calls", apiCallRoutes({ config: deps.config, log }));
  app.route("/api/sample-call", sampleCallRoutes(deps.sampleCalls, log));
  app.route("/", pageRoutes({ coaching: deps.config.coaching }));

  app.onError((error, c) => {
    log.error("request_failed", { path: c.req.path, error });
    return c.text("Internal server error; see the server log.", 500);
  });
  return app;
}

function isWebSocketUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}
