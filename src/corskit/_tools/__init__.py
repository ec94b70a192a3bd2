"""The tools behind the ``corskit`` command: check, lint, the browser model (and probe, demo).

Tools may use the model and the protocol; the request path never imports a tool.
"""
