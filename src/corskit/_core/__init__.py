"""corskit's private core, split by layer; nothing here is public API.

- ``model``: what a configuration means once validated: origins and their patterns, regex
  breadth, the HTTP vocabulary (tokens, forbidden names), coercion of user input.
- ``protocol``: what happens per request: the engine (facts + policy -> Decision), the path
  router, request readers, header merging, asking dynamic origin sources, denial reporting.

Imports point one way: model <- protocol <- entry points (``corskit.asgi`` and the others).
Nothing in ``_core`` imports an entry point; ``tests/test_layers.py`` enforces it.

"Design rule N" in comments anywhere in corskit refers to the numbered list in docs/design.md.
"""
