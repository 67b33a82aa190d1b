// The reference for tests/test_spec_*.py: socket.io 4.8's server for Node, set up like the
// course's spec server (labsupport/production/spec_probes.py). Each "count" event adds one; "tally"
// acknowledges how many arrived on that connection. Settings come from the environment, in milliseconds
// and bytes: PING_INTERVAL, PING_TIMEOUT, CONNECT_TIMEOUT, UPGRADE_TIMEOUT, MAX_PAYLOAD.
// Prints "listening on http://127.0.0.1:PORT" when ready.
import { createServer } from "node:http";
import { Server } from "socket.io";

const setting = (name, fallback) => Number(process.env[name] ?? fallback);
const http = createServer();
const io = new Server(http, {
  pingInterval: setting("PING_INTERVAL", 25000),
  pingTimeout: setting("PING_TIMEOUT", 20000),
  connectTimeout: setting("CONNECT_TIMEOUT", 45000),
  upgradeTimeout: setting("UPGRADE_TIMEOUT", 10000),
  maxHttpBufferSize: setting("MAX_PAYLOAD", 1e6),
});
io.on("connection", (socket) => {
  let counted = 0;
  socket.on("count", () => { counted += 1; });
  socket.on("tally", (ack) => ack(counted));
});
http.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${http.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
