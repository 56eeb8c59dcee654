/**
 * This instance as a member of a cluster (`REDIS_URL`): it publishes its calls' page messages
 * (server/fanout.ts), keeps their entries in the registry (server/call_directory.ts), and serves its pages
 * every call of the cluster (server/cluster_feed.ts).
 *
 * @example
 * ```ts
 * const link = await RedisLink.open({ url: "redis://127.0.0.1:6379", log });
 * let member: ClusterMember | null = null;
 * const registry = new SessionRegistry({ ...settings, relay: (id, message) => member?.relay(id, message) });
 * member = await ClusterMember.join({ link, registry, instanceId: "a", session, log, now: Date.now });
 * ```
 *
 * @module
 */
import type { Logger } from "../core/log.ts";
import type { ServerMessage } from "../core/protocol/ui_messages.ts";
import type { SessionConfig } from "../core/session/config.ts";
import type { SessionRegistry } from "../core/session/registry.ts";
import { CallDirectory } from "./call_directory.ts";
import { ClusterFeed } from "./cluster_feed.ts";
import { FanoutPublisher } from "./fanout.ts";
import type { LinkState, RedisLink } from "./redis_link.ts";

/** How long shutdown waits for Redis to take this instance's last messages (its calls' ends). */
const CLOSE_DRAIN_MS = 1_000;

/** Options for {@linkcode ClusterMember.join}. */
export interface ClusterMemberOptions {
  link: RedisLink;
  registry: SessionRegistry;
  instanceId: string;
  session: SessionConfig;
  log: Logger;
  /** Wall clock, ms. */
  now: () => number;
}

/** What `/health` says about the cluster. */
export interface ClusterHealth {
  redis: LinkState;
  cluster_sessions: number;
  /** Page messages and registry writes given up because Redis was down or behind, since start. */
  redis_dropped: number;
}

/** This instance's part in the cluster. */
export class ClusterMember {
  private constructor(
    readonly link: RedisLink,
    readonly feed: ClusterFeed,
    readonly directory: CallDirectory,
    readonly publisher: FanoutPublisher,
  ) {}

  /** Starts publishing, renewing and listening; resolves once the registry has been read. */
  static async join(options: ClusterMemberOptions): Promise<ClusterMember> {
    const { link, registry, instanceId, session, log, now } = options;
    const publisher = new FanoutPublisher({ link, instanceId });
    const directory = new CallDirectory({
      link,
      instanceId,
      registry,
      ttlMs: session.registryTtlMs,
      endGraceMs: session.endGraceMs,
      publisher,
    });
    const feed = new ClusterFeed({
      registry,
      link,
      directory,
      instanceId,
      log,
      endGraceMs: session.endGraceMs,
      now,
    });
    directory.start();
    await feed.start();
    log.info("cluster_joined", { instance_id: instanceId, cluster_sessions: feed.clusterSessions });
    return new ClusterMember(link, feed, directory, publisher);
  }

  /** Every message of a call coached here, after its local pages (the registry's relay). */
  relay(sessionId: string, message: ServerMessage): void {
    // The registry write first: a tip's batch leaves at once, and it carries the tip's stream entry ahead of it.
    this.directory.record(sessionId, message);
    this.publisher.publish(sessionId, message);
  }

  /** Once a second, with the registry's sweep. */
  sweep(now: number): void {
    this.feed.sweep(now);
  }

  health(): ClusterHealth {
    return {
      redis: this.link.state,
      cluster_sessions: this.feed.clusterSessions,
      redis_dropped: this.link.dropped,
    };
  }

  /** Hands Redis what is still queued (the calls' ends after `endAll`), then leaves. */
  async close(): Promise<void> {
    this.directory.close();
    this.publisher.flush();
    this.feed.close();
    await this.link.drain(CLOSE_DRAIN_MS);
    this.link.close();
  }
}
