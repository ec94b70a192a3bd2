"""The request-time half of the core: compiled engines, routing, readers and header merging.

Code here runs on every request: it reads the precompiled state the model produced and adds
as little as it can. It may import the model, never an entry point.
"""
