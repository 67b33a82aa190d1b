// Plays a client of the course's socket.io server with the official JavaScript client
// (socket.io-client 4.x, from node_modules), and prints one JSON line per observation
// for tests/test_official_js_client.py to check.
//
//   node tests/js/official_client.mjs URL NAME
import { io } from "socket.io-client";

const [url, name] = process.argv.slice(2);
const say = (what) => console.log(JSON.stringify(what));
const socket = io(url, { auth: { name }, transports: ["websocket"], reconnection: false });
const stop = (code) => { socket.close(); process.exit(code); };
setTimeout(() => { say({ error: "timed out" }); stop(1); }, 10000);

socket.on("connect_error", (error) => { say({ connect_error: error.message }); stop(0); });
socket.on("news", (text) => {
  say({ news: text });
  stop(0);
});
socket.on("connect", async () => {
  say({ connected: true });
  const sum = await socket.timeout(5000).emitWithAck("add", [1, 2, 3]);
  say({ ack: sum });
  socket.emit("ready"); // the test now broadcasts "news" to everyone
});
