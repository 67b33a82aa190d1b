// socket.io's own server for Node, with the events of notebook 04's rooms server (join,
// leave), whose adapter reports its room events: one line of JSON per event, such as
// {"event":"join-room","room":"drivers","id":"<socket id>"}. Prints
// "listening on http://127.0.0.1:PORT" when ready. Used by room_events.py.
import { createServer } from "node:http";
import { Server } from "socket.io";

const http = createServer();
const io = new Server(http);
for (const event of ["create-room", "delete-room", "join-room", "leave-room"]) {
  io.of("/").adapter.on(event, (room, id) => console.log(JSON.stringify({ event, room, id })));
}
io.on("connection", (socket) => {
  socket.on("join", (room, ack) => { socket.join(room); ack?.({ joined: room }); });
  socket.on("leave", (room, ack) => { socket.leave(room); ack?.(null); });
});
http.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${http.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
