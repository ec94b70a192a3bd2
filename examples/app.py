"""A small API behind corskit, configured by examples/cors.toml.

Run it with ``./scripts/run`` and try, from another terminal::

    curl -i -H 'Origin: http://localhost:3000' http://127.0.0.1:8000/api/items
    curl -i -X OPTIONS -H 'Origin: http://localhost:3000' \\
         -H 'Access-Control-Request-Method: PUT' \\
         -H 'Access-Control-Request-Headers: content-type' http://127.0.0.1:8000/api/items/1
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import corskit

ITEMS = {1: {"id": 1, "name": "first"}}


async def list_items(request: Request) -> JSONResponse:
    return JSONResponse(list(ITEMS.values()), headers={"X-Request-Id": "example"})


async def put_item(request: Request) -> JSONResponse:
    item_id = int(request.path_params["item_id"])
    ITEMS[item_id] = {"id": item_id, **(await request.json())}
    return JSONResponse(ITEMS[item_id])


async def public_status(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def admin(request: Request) -> JSONResponse:
    return JSONResponse({"admin": True})


api = Starlette(
    routes=[
        Route("/api/items", list_items),
        Route("/api/items/{item_id:int}", put_item, methods=["PUT"]),
        Route("/public/status", public_status),
        Route("/admin/stats", admin),
    ]
)

# Wrap the whole app, so preflights are answered before routing and errors carry CORS headers.
app = corskit.asgi.CORSMiddleware(api, corskit.Config.load(Path(__file__).with_name("cors.toml")))
