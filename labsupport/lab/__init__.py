"""The bench the experiments stand on: servers, processes and tools the notebooks use.

Notebook 06b (leaving localhost) brings the first modules here: ``dead_peers`` (frozen
clients and reconnecting crowds), ``tls`` (a certificate authority per kernel) and
``nginx`` (a reverse proxy run by the kernel).
"""
