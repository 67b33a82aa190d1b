// The official socket.io client (from node_modules) emits COUNT "count" events in one
// burst, waits until they are sent, then asks the server's "tally" (with an acknowledgement), and prints one JSON
// line: how many the client sent, how many the server counted, and whether the client
// was told of any trouble (a disconnection, an error). Used by jsclient.burst.
//
//   node burst.mjs URL COUNT TRANSPORT [SIZE]
//
// TRANSPORT is polling or websocket; each event carries SIZE characters (default 0).
import { io } from "socket.io-client";

const [url, count, transport, size] = process.argv.slice(2);
const padding = "x".repeat(Number(size ?? 0));
const socket = io(url, { transports: [transport], reconnection: false });
const told = [];
const report = (what) => {
  console.log(JSON.stringify({ sent: Number(count), told, ...what }));
  socket.close();
  process.exit(0);
};
socket.on("disconnect", (reason) => told.push(`disconnect: ${reason}`));
socket.on("connect_error", (error) => report({ tally: null, error: error.message }));
socket.on("connect", async () => {
  for (let n = 0; n < Number(count); n++) socket.emit("count", padding);
  // Wait until the client has handed every packet to the server (and heard back that
  // its requests went well): only then ask how many arrived.
  await new Promise((resolve) => socket.io.engine.once("drain", resolve));
  try {
    report({ tally: await socket.timeout(5000).emitWithAck("tally") });
  } catch (error) {
    report({ tally: null, error: error.message });
  }
});
setTimeout(() => report({ tally: null, error: "no answer within 10 s" }), 10000);
