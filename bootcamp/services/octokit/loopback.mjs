// Run @octokit/fixtures-server listening on 127.0.0.1 only, with no way out of the machine.
//
// The package's CLI (bin/server.js) ends in `app.listen(argv.port)`, which Node binds to every
// interface, and it has no host option. Every server of the bootcamp binds loopback only, so before
// loading the CLI we wrap net.Server.prototype.listen (the one listen call it makes) to pass host
// 127.0.0.1. The CLI's own options (--port, --fixtures-url, --log-level, --ttl, --fixtures) pass
// through unchanged.
//
// The server answers a request by proxying it to `fixtures-<id>.api.github.com`, which nock
// intercepts in this process. A request that matches no recorded one must fail here, never reach a
// real host: nock.disableNetConnect() makes every unmocked outgoing connection an error.
//
// usage: node loopback.mjs <path of bin/server.js> [its options...]
import net from "node:net";
import { pathToFileURL } from "node:url";

import nock from "nock";

const LOOPBACK = "127.0.0.1";
const [serverJs, ...options] = process.argv.slice(2);
if (!serverJs) {
  console.error("usage: node loopback.mjs <bin/server.js> [--port N] [--fixtures-url URL] ...");
  process.exit(2);
}

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" || (typeof args[0] === "string" && /^\d+$/.test(args[0]))) {
    const port = Number(args[0]);
    const rest = typeof args[1] === "string" ? args.slice(2) : args.slice(1);
    return listen.call(this, port, LOOPBACK, ...rest);
  }
  if (args[0] !== null && typeof args[0] === "object" && "port" in args[0]) {
    return listen.call(this, { ...args[0], host: LOOPBACK }, ...args.slice(1));
  }
  return listen.apply(this, args);
};

nock.disableNetConnect();

// The CLI reads its options with yargs(hideBin(process.argv)): make argv look as if it were run itself.
process.argv = [process.argv[0], serverJs, ...options];
await import(pathToFileURL(serverJs).href);
