/**
 * Connection info for in-process `app.request(url, init, env)` calls, as `Deno.serve` would pass it:
 * routes only treat a request as made on this machine when its peer address is loopback.
 *
 * @module
 */

/** A request from this machine (127.0.0.1). */
export const LOCAL_PEER = { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50123 } } as const;

/** A request from another machine on the LAN. */
export const LAN_PEER = { remoteAddr: { transport: "tcp", hostname: "192.0.2.2", port: 50123 } } as const;
