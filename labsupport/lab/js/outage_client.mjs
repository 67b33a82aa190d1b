// The official socket.io JavaScript client (socket.io-client 4.x) through an outage, driven
// by jsclient.OutageClient (notebook 05, tests/test_recovery.py). It reads commands on stdin,
// one per line, and prints one JSON line per observation:
//
//   node labsupport/lab/js/outage_client.mjs URL
//   join ROOM   ask the server to put it in ROOM (prints {"joined": ROOM})
//   cut         drop the transport, as a network outage does (not a goodbye)
//   reconnect   connect again (prints {"connected": sid, "recovered": true|false})
//   quit
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const [url] = process.argv.slice(2);
const say = (what) => console.log(JSON.stringify(what));
const socket = io(url, { transports: ["websocket"], reconnection: false });
setTimeout(() => { say({ error: "timed out" }); process.exit(1); }, 30000);

socket.on("connect", () => say({ connected: socket.id, recovered: socket.recovered }));
socket.on("disconnect", (reason) => say({ disconnected: reason }));
socket.onAny((event, ...args) => say({ event, args }));

createInterface({ input: process.stdin }).on("line", async (line) => {
  const [command, argument] = line.trim().split(" ");
  if (command === "join") say({ joined: await socket.emitWithAck("join", argument) });
  if (command === "cut") socket.io.engine.close();
  if (command === "reconnect") socket.connect();
  if (command === "quit") { socket.close(); process.exit(0); }
});
