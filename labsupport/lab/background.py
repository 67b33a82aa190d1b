"""An asyncio event loop that runs in its own thread.

Why: a server must keep answering while a notebook cell is busy, for example while
the cell waits in a blocking ``sock.recv()`` for the server's reply. Jupyter runs your
cells one at a time on the kernel's main thread, so a server on that thread would be
frozen exactly when you need it. A server on a separate thread, with its own event
loop, keeps serving whatever the cell is doing.

Notebook 00 explains this picture; ``servers.py`` builds on it.
"""

import asyncio
import threading


class BackgroundLoop:
    """An event loop running forever in a daemon thread, until ``close()``.

    >>> bg = BackgroundLoop("demo")
    >>> bg.run(asyncio.sleep(0, result=42))
    42
    >>> bg.close()
    """

    def __init__(self, name):
        self.name = name
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name=f"loop:{name}", daemon=True)
        self.thread.start()

    def _main(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        # run_forever returned: close() asked us to stop. Cancel what is left, then close.
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def submit(self, coro):
        """Schedule ``coro`` on this loop from any thread; returns a concurrent Future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro, timeout=10):
        """Run ``coro`` on this loop and wait (at most ``timeout`` s) for its result.

        Never call this from the loop's own thread (from a handler): it would wait for
        itself forever. Handlers simply ``await`` instead.
        """
        if threading.current_thread() is self.thread:
            raise RuntimeError("run() called from the loop's own thread: use 'await' instead")
        return self.submit(coro).result(timeout)

    async def arun(self, coro):
        """Like ``run()``, for a cell or client that is itself async: ``await bg.arun(...)``."""
        return await asyncio.wrap_future(self.submit(coro))

    def close(self, timeout=5):
        """Stop the loop and wait for its thread to end, so no thread is left behind."""
        if not self.thread.is_alive():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
