"""A fast path for python-engineio's WebSocket loop: a prototype of a change to propose upstream.

Not a lesson, and not in the course's servers: only the benchmark's "course + fast path"
server (``systems.py``), notebook 08 (section 7) and ``docs/upstream.md`` use it.

python-engineio serves a WebSocket with two tasks per connection
(``AsyncSocket._websocket_handler``), and each frame pays for hops between them:

- the reader wraps the wait for every frame in a task of its own, inside
  ``wait_for(..., ping_interval + ping_timeout)``: a task and a timer per frame received;
- every frame sent goes through the session's queue to the writer task, which waits
  for it with ``wait_for(queue.get(), ...)``: a wake-up and a timer per frame sent.

``FastAsyncSocket`` does the same work with fewer of them:

- the reader awaits the next frame itself, and a ``Deadline`` (one timer per connection)
  ends it after the same ``ping_interval + ping_timeout`` of waiting: a frame only
  writes down when the next wait began;
- a frame sent by the connection's own task (an acknowledgement from a handler run
  inline, ``async_handlers=False``) is written at once when nothing is queued ahead of
  it: it cannot overtake anything, and waiting for a slow client then only holds up
  that client's own reading;
- everything else (pings, broadcasts from other tasks, CLOSE) goes through the queue
  as before, to a writer that waits on it with no timer. ``None`` still ends it.

The next step, ``decided_once=True`` (``FastPathServer``): whether a handler is a
coroutine function is decided once per handler (``is_coroutine``, cached), not with an
``inspect.iscoroutinefunction`` per message in python-engineio's ``_trigger_event`` and
another per event in python-socketio's; a MESSAGE goes straight to its handler when
handlers run inline, and the receive log's arguments are built only when it logs.

The protocol does not change: the same packets, in the same order, the same upgrade
handshake, the same ping rules (the server's service task and the check on every send
are untouched). ``tests/test_fast_socket.py`` and the spec probes check it.
"""

import asyncio
import functools
import inspect
import logging

import engineio
import socketio
from aiohttp import WSMsgType
from engineio import exceptions, packet
from engineio.async_socket import AsyncSocket


@functools.cache
def is_coroutine(handler):
    """``inspect.iscoroutinefunction``, decided once per handler (functions are hashable)."""
    return inspect.iscoroutinefunction(handler)


class Deadline:
    """One timer per connection: ``expire`` runs once a wait for a frame lasts ``window`` s.

    ``waiting_since`` is when the reader began to wait (``None`` while it handles a
    frame: like upstream's ``wait_for``, the deadline bounds the wait, never a handler).
    The timer only re-arms itself when it fires early, so a busy connection costs one
    timer per ``window``, not one per frame.
    """

    def __init__(self, window, expire):
        self.loop = asyncio.get_running_loop()
        self.window, self.expire = window, expire
        self.waiting_since = self.loop.time()
        self.timer = self.loop.call_at(self.waiting_since + window, self.check)

    def check(self):
        now = self.loop.time()
        due = (now if self.waiting_since is None else self.waiting_since) + self.window
        if now < due:
            self.timer = self.loop.call_at(due, self.check)
        else:
            self.expire()

    def cancel(self):
        self.timer.cancel()


class FastAsyncSocket(AsyncSocket):
    """python-engineio's session, on the WebSocket loop of the module's docstring (aiohttp)."""

    _ws = _reader = None  # the aiohttp WebSocket, and the task reading it, while it runs
    _writing = False  # True while the writer task sends what it took from the queue

    async def send(self, pkt):
        """Write at once when it is safe (see the module's docstring), else queue it."""
        if (self._reader is not asyncio.current_task() or self._writing
                or not self.queue.empty()):  # fmt: skip
            return await super().send(pkt)
        if await self.check_ping_timeout():
            await self._write(self._ws, pkt)
            self.server.logger.info("%s: Sending packet %s (at once)", self.sid,
                                    packet.packet_names[pkt.packet_type])  # fmt: skip

    async def receive(self, pkt):
        """A MESSAGE goes straight to its handler when the server decides once and runs
        handlers inline; anything else, as upstream (``AsyncSocket.receive``)."""
        server = self.server
        handler = server.handlers.get("message")
        if (pkt.packet_type != packet.MESSAGE or not getattr(server, "decided_once", False)
                or server.async_handlers or not is_coroutine(handler)):  # fmt: skip
            return await super().receive(pkt)
        if server.logger.isEnabledFor(logging.INFO):
            server.logger.info("%s: Received packet MESSAGE data %s", self.sid, pkt.data)
        try:
            await handler(self.sid, pkt.data)
        except asyncio.CancelledError:
            pass
        except Exception:
            server.logger.exception("message async handler error")

    @staticmethod
    async def _write(ws, pkt):
        encoded = pkt.encode()
        await (ws.send_bytes if isinstance(encoded, bytes) else ws.send_str)(encoded)

    async def _next_frame(self, ws):
        """The next text or binary frame's data; None once the WebSocket ends."""
        message = await ws.receive()
        if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            return None
        if len(message.data) > self.server.max_http_buffer_size:
            raise ValueError("packet is too large")
        return message.data

    async def _websocket_handler(self, driver):
        ws = driver._sock  # the aiohttp WebSocketResponse the driver prepared
        if self.connected and not await self._finish_upgrade(ws):
            return
        self.connected = self.upgraded = True
        window = self.server.ping_interval + self.server.ping_timeout
        writer = asyncio.ensure_future(self._write_queued(ws))
        self._ws, self._reader = ws, asyncio.current_task()
        limit = asyncio.timeout(None)  # ends the loop below once the deadline passes
        deadline = Deadline(window, lambda: limit.reschedule(0))  # 0: at once
        try:
            async with limit:
                while (frame := await self._next_frame(ws)) is not None:
                    deadline.waiting_since = None
                    if not await self._receive_frame(frame):
                        break
                    deadline.waiting_since = deadline.loop.time()
        except Exception:  # the deadline, a broken WebSocket or frame: the connection ends
            pass
        finally:
            deadline.cancel()
            self._ws = self._reader = None
            await self.queue.put(None)  # ends the writer, after what is queued
            await writer
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    async def _receive_frame(self, frame):
        """Hand one frame to ``receive``, as upstream does; False ends the loop.

        A frame that is not an Engine.IO packet raises, and ends the connection.
        """
        pkt = packet.Packet(encoded_packet=frame)
        try:
            await self.receive(pkt)
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            return False
        except Exception:
            self.server.logger.exception("Unknown receive error")
        return True

    async def _write_queued(self, ws):
        """Send what other tasks queued, in order, until ``None``; then close.

        A NOOP is left out: it only ends a GET poll, and the one queued after ``3probe``
        to end the poll under way would otherwise be the WebSocket's first frame (the
        course's guard does the same for python-engineio's writer)."""
        while (pkt := await self.queue.get()) is not None:
            if pkt.packet_type == packet.NOOP:
                self.queue.task_done()
                continue
            self._writing = True
            try:
                await self._write(ws, pkt)
            except Exception:
                break
            finally:
                self._writing = False
                self.queue.task_done()
        await ws.close()

    async def _finish_upgrade(self, ws):
        """The upgrade from polling: ``2probe``, ``3probe``, then ``5``, as upstream checks it."""
        self.upgrading = True  # polls get NOOP meanwhile
        try:
            probe = packet.Packet(encoded_packet=await self._next_frame(ws))
            if (probe.packet_type, probe.data) != (packet.PING, "probe"):
                return False
            await ws.send_str(packet.Packet(packet.PONG, data="probe").encode())
            await self.queue.put(packet.Packet(packet.NOOP))  # ends the poll under way
            upgrade = packet.Packet(encoded_packet=await self._next_frame(ws))
            return upgrade.packet_type == packet.UPGRADE
        except (OSError, ValueError, TypeError):  # TypeError: no frame, the WebSocket ended
            return False
        finally:
            self.upgrading = False


class FastPathEngineIO(engineio.AsyncServer):
    """python-engineio's server, whose sessions are ``FastAsyncSocket``.

    ``_handle_connect`` builds each session as ``AsyncSocket(self, sid)``, with no setting
    for the class. ``_upgrades`` is the first method it calls once the new session is in
    ``self.sockets``, before any transport runs, so the prototype changes the session's
    class there (upstream, a ``socket_class`` attribute would do: docs/upstream.md).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.async_mode != "aiohttp":
            raise ValueError(f"the fast path is for aiohttp, not {self.async_mode}")

    def _upgrades(self, sid, transport):
        session = self.sockets[sid]
        if type(session) is AsyncSocket:
            session.__class__ = FastAsyncSocket
        return super()._upgrades(sid, transport)


class FastPathServer(socketio.AsyncServer):
    """python-socketio's ``AsyncServer`` on ``FastPathEngineIO``; every option as usual.

    ``decided_once=True`` takes the next step (the module's docstring): a coroutine
    handler of an event is awaited here, decided once; any other (a plain function, a
    namespace class, ``disconnect`` with its legacy arguments) goes to upstream's
    ``_trigger_event``."""

    def __init__(self, *args, decided_once=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.decided_once = self.eio.decided_once = decided_once

    def _engineio_server_class(self):
        return FastPathEngineIO

    async def _trigger_event(self, event, namespace, *args):
        if self.decided_once and event != "disconnect":
            handler, handler_args = self._get_event_handler(event, namespace, args)
            if handler is not None and is_coroutine(handler):
                try:
                    return await handler(*handler_args)
                except asyncio.CancelledError:
                    return None
        return await super()._trigger_event(event, namespace, *args)
