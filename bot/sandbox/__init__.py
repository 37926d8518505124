"""The sandbox: a separate service that runs students' snippets, and its client.

The bot imports only ``bot.sandbox.client``; everything else runs in the worker
(``python -m bot sandbox``). Isolation and limits are described in isolation.py,
limits.py and runner.py.
"""
