// The reference: socket.io 4.8 for Node, with the same events as systems.py
// (echo, join, blast). Prints "listening on http://127.0.0.1:PORT" when ready.
import { createServer } from "node:http";
import { Server } from "socket.io";

const http = createServer();
const io = new Server(http);
io.on("connection", (socket) => {
  socket.on("echo", (data, ack) => ack(data));
  socket.on("join", (room, ack) => { socket.join(room); ack(room); });
  socket.on("blast", ({ room, count }, ack) => {
    for (let n = 0; n < count; n++) io.to(room).emit("news", n);
    ack(count);
  });
});
http.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${http.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
