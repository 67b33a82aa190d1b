"""labsupport.lab: the bench every experiment stands on. No lesson lives here.

A lab module starts, watches or records something real, and imports nothing from the
lessons above it (``labsupport``'s docstring tells the layers). Which notebook first uses
each:

- notebook 00, start here: ``background`` (an event loop in a thread), ``servers`` (real servers
  started from a cell, stopped by name), ``processes`` and ``run_server`` (servers as
  processes), ``registry`` (everything running, stopped at kernel exit), ``forked`` (fast
  child processes), ``trace`` and ``sequence`` (who got what from whom), ``evidence``
  (claims checked from the data, and the one seed), ``figures`` (a plot said in words),
  ``doctor``, ``paths`` (where the course's files are), ``scratch`` (one temporary folder per
  kernel), ``examples`` (small servers a process can import);
- notebook 01, sockets: ``relay`` (a lossy UDP relay), ``capture`` and ``pcap`` (packets on a
  real wire), and ``captures/`` (shipped captures);
- notebook 02, WebSockets and HTTP: ``newsfeed`` (a news source to poll or follow),
  ``http_only_proxy``;
- notebook 03, socket.io events: ``guard`` (every course server held to the Engine.IO and
  Socket.IO specifications), ``clients``, ``webpage``, ``browser``, and ``static/`` (the page);
- notebook 04, rooms: ``jsclient`` (the official JavaScript client under Node), ``admin_ui``, and
  ``js/`` (the Node programs);
- notebook 05, the queue: ``faults`` (a client that goes away on a schedule);
- notebook 06, Redis: ``redis_server``;
- notebook 06b, leaving localhost: ``tls`` (a certificate authority per kernel, a byte tap),
  ``nginx`` (a reverse proxy run by the kernel), ``dead_peers`` (clients frozen with
  SIGSTOP, crowds that reconnect);
- notebook 06c, RabbitMQ: ``rabbit_broker`` (a broker and its epmd per kernel).
"""
