// Run kinesis-local (kinesis-mock for Node) listening on 127.0.0.1 only.
//
// kinesis-mock 0.6.2 hard-codes its listen address as 0.0.0.0 and has no setting for it: fs2 then
// calls `server.listen(port, callback)`, which Node binds to every interface. Every server of the
// bootcamp binds loopback only, so before loading main.js we wrap net.Server.prototype.listen (the
// one listen call main.js makes, for both its plain and its TLS port) to pass host 127.0.0.1.
//
// usage: node loopback.js <main.js> <plain port> <tls port> <persist dir>
"use strict";
const net = require("net");
const path = require("path");

const LOOPBACK = "127.0.0.1";
const [mainJs, plainPort, tlsPort, persistDir] = process.argv.slice(2);
if (!mainJs || !plainPort || !tlsPort || !persistDir) {
  console.error("usage: node loopback.js <main.js> <plain port> <tls port> <persist dir>");
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

Object.assign(process.env, {
  KINESIS_MOCK_CERT_PATH: path.join(path.dirname(mainJs), "server.json"),
  KINESIS_MOCK_PLAIN_PORT: plainPort,
  KINESIS_MOCK_TLS_PORT: tlsPort,
  SHOULD_PERSIST_DATA: "true",
  PERSIST_PATH: persistDir,
});
require(path.resolve(mainJs));
