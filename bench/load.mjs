// The load client for every system: the official socket.io client (or the ws package
// for the raw WebSocket), in Node, so that the client is never the bottleneck.
//
//   node load.mjs URL
//
// One process serves one server for as many measurements as asked. It reads a command
// per line on stdin (latency N | inflight N WINDOW | broadcast CLIENTS COUNT |
// idle CLIENTS | wslatency N | wsinflight N WINDOW | pump COUNT WINDOW), prepares
// (connects, warms up), prints {"ready": true}, waits for a line "go", runs, prints one JSON line with its
// result and the CPU time it used while running, and closes that command's connections.
import { io } from "socket.io-client";
import WebSocket from "ws";
import { createInterface } from "node:readline";

const [url] = process.argv.slice(2);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const next = async () => (await lines.next()).value;
let started = process.cpuUsage(); // when the last "go" came
let opened = []; // this command's connections, closed once it is done
const say = (what) => console.log(JSON.stringify(what));
const go = async () => { await next(); started = process.cpuUsage(); };
const connect = (auth) => new Promise((resolve) => {
  const socket = io(url, { transports: ["websocket"], reconnection: false, forceNew: true, auth });
  opened.push(socket);
  socket.on("connect", () => resolve(socket));
});
const percentile = (values, p) => values.sort((x, y) => x - y)[Math.floor(values.length * p)];
const now = () => Number(process.hrtime.bigint()) / 1000; // microseconds

async function latency(n) {
  const socket = await connect();
  for (let i = 0; i < 200; i++) await socket.emitWithAck("echo", i); // warm up
  say({ ready: true }); await go();
  const times = [];
  for (let i = 0; i < n; i++) {
    const start = now();
    await socket.emitWithAck("echo", i);
    times.push(now() - start);
  }
  return { p10_us: percentile(times, 0.1), p50_us: percentile(times, 0.5), p90_us: percentile(times, 0.9) };
}

async function inflight(n, window) {
  const socket = await connect();
  for (let i = 0; i < 200; i++) await socket.emitWithAck("echo", i);
  say({ ready: true }); await go();
  const start = now();
  let sent = 0;
  const worker = async () => { while (sent < n) { sent++; await socket.emitWithAck("echo", sent); } };
  await Promise.all(Array.from({ length: window }, worker));
  return { messages: n, per_s: n / ((now() - start) / 1e6) };
}

async function broadcast(clients, count) {
  const sockets = await Promise.all(Array.from({ length: clients }, connect));
  await Promise.all(sockets.map((s) => s.emitWithAck("join", "room")));
  let received = 0;
  const all = new Promise((resolve) => sockets.forEach((s) => s.on("news", () => {
    if (++received === clients * count) resolve();
  })));
  say({ ready: true }); await go();
  const start = now();
  await sockets[0].emitWithAck("blast", { room: "room", count });
  await all;
  return { deliveries: clients * count, per_s: (clients * count) / ((now() - start) / 1e6) };
}

async function idle(clients) {
  await Promise.all(Array.from({ length: clients }, connect));
  say({ ready: true }); await go();
  return { clients };
}

async function wslatency(n) {
  const ws = new WebSocket(url + "/ws");
  opened.push(ws);
  await new Promise((resolve) => ws.on("open", resolve));
  const echo = (text) => new Promise((resolve) => { ws.once("message", resolve); ws.send(text); });
  for (let i = 0; i < 200; i++) await echo(`${i}`);
  say({ ready: true }); await go();
  const times = [];
  for (let i = 0; i < n; i++) { const start = now(); await echo(`${i}`); times.push(now() - start); }
  return { p10_us: percentile(times, 0.1), p50_us: percentile(times, 0.5), p90_us: percentile(times, 0.9) };
}

// The raw WebSocket's "inflight": N messages echoed, WINDOW unanswered at most.
async function wsinflight(n, window) {
  const ws = new WebSocket(url + "/ws");
  opened.push(ws);
  await new Promise((resolve) => ws.on("open", resolve));
  say({ ready: true }); await go();
  const start = now();
  let sent = 0, received = 0;
  await new Promise((resolve) => {
    ws.on("message", () => {
      if (++received === n) resolve();
      else if (sent < n) ws.send(`${sent++}`);
    });
    while (sent < Math.min(window, n)) ws.send(`${sent++}`);
  });
  return { messages: n, per_s: n / ((now() - start) / 1e6) };
}

// The server sends COUNT messages, WINDOW unacknowledged at most (queue_systems.py).
// A message with a callback is acknowledged by calling it; a queue's message (an object
// with a messageId) by emitting "received", as notebook 05's clients do.
async function pump(count, window) {
  const socket = await connect({ clientId: "bench" });
  socket.on("m", (message, ack) => {
    if (typeof ack === "function") ack();
    else socket.emit("received", { clientId: message.clientId, event: "m", messageId: message.messageId });
  });
  const pumped = (n) => new Promise((resolve) => { socket.once("pumped", resolve); socket.emit("pump_to_me", { count: n, window }); });
  await pumped(200); // warm up
  say({ ready: true }); await go();
  const seconds = await pumped(count);
  return { messages: count, per_s: count / seconds };
}

const modes = { latency, inflight, broadcast, idle, wslatency, wsinflight, pump };
for (let line = await next(); line !== undefined; line = await next()) {
  const [mode, a, b] = line.split(" ");
  const result = await modes[mode](Number(a), Number(b));
  const cpu = process.cpuUsage(started);
  say({ ...result, client_cpu_s: (cpu.user + cpu.system) / 1e6 });
  for (const connection of opened) connection.close();
  opened = [];
}
process.exit(0);
