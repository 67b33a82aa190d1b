// Plays a CAPS vendor with the official JavaScript client (socket.io-client 4.x), written
// from the wire contract in labsupport/caps.py alone. Prints one JSON line per observation
// for tests/test_caps_js_vendor.py to check.
//
//   node tests/js/caps_vendor.mjs URL STORE ORDER_ID
import { io } from "socket.io-client";

const [url, store, orderId] = process.argv.slice(2);
const say = (what) => console.log(JSON.stringify(what));
const socket = io(url + "/caps", {
  auth: { clientId: store, role: "vendor" },
  transports: ["websocket"],
  reconnection: false,
});
const stop = (code) => { socket.close(); process.exit(code); };
setTimeout(() => { say({ error: "timed out" }); stop(1); }, 15000);
const ask = (event, data) => socket.timeout(5000).emitWithAck(event, data);

socket.on("connect_error", (error) => { say({ connect_error: error.message }); stop(1); });
// One message at a time, in arrival order: each handler waits for the previous one.
let handled = Promise.resolve();
const handle = async (event, message) => {
  say({ event, orderId: message.payload.orderId, to: message.clientId });
  const ack = await ask("received", { clientId: store, event, messageId: message.messageId });
  say({ received: ack });
  if (event === "delivered") {
    say({ reply: `Thank you for your order ${message.payload.customer}` });
    stop(0);
  }
};
for (const event of ["in-transit", "delivered"]) {
  socket.on(event, (message) => { handled = handled.then(() => handle(event, message)); });
}
socket.on("connect", async () => {
  for (const event of ["in-transit", "delivered"]) {
    await ask("getAll", { clientId: store, event });
  }
  const bad = await ask("pickup", { store });
  say({ bad_pickup: typeof bad.error });
  const order = { store, orderId, customer: "Grace Hopper", address: "1 Pine St" };
  say({ pickup: await ask("pickup", order) });
});
