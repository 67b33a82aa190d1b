// Connect to a socket.io namespace with the official JavaScript client and report, as one
// line of JSON, whether it worked and what the client was told. Used by jsclient.py.
//
//   node connect.mjs URL NAMESPACE [AUTH_JSON]
import { io } from "socket.io-client";

const [url, namespace, auth] = process.argv.slice(2);
const socket = io(url + namespace, {
  auth: auth ? JSON.parse(auth) : undefined,
  transports: ["websocket"],
  reconnection: false,
});
const report = (what) => {
  console.log(JSON.stringify(what));
  socket.close();
  process.exit(0);
};
socket.on("connect", () => report({ connected: true, namespace }));
socket.on("connect_error", (error) => report({ connected: false, message: error.message, data: error.data ?? null }));
setTimeout(() => report({ connected: false, message: "no answer within 10 s" }), 10000);
