"""``labsupport.lab.run_server`` on uvloop, a faster event loop (for standalone server processes).

python bench/serve_uvloop.py systems:tuned --port 0
"""

import asyncio

import uvloop

from labsupport.lab.run_server import main

if __name__ == "__main__":
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    main()
