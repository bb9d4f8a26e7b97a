"""The reference for `benchmarks/pages.py`: a bare Litestar app rendering a small Jinja page
(a base template extended by the page, a loop, autoescaping), served by the same uvicorn with
the same settings and listening socket as `mentorhub serve` (one process, or several
worker processes). Whatever the product costs beyond this is its own.

    python -m benchmarks.pages_reference --port 8001 --workers 2
"""

from __future__ import annotations

import argparse
import contextlib

import uvicorn
from jinja2 import DictLoader, Environment, select_autoescape
from litestar import Litestar, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

TEMPLATES = {
    "base.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{% block title %}{% endblock %}</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body><header><a href="/">Reference</a></header>
<main>{% block content %}{% endblock %}</main><footer>A reference page</footer></body></html>
""",
    "page.html": """{% extends "base.html" %}
{% block title %}{{ name }}{% endblock %}
{% block content %}<section class="hero"><p class="eyebrow">{{ name }}</p>
<h1>{{ tagline }}</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>
<p><a class="button" href="/login">Sign in with {{ name }}</a></p></section>
{% endblock %}
""",
}

ITEMS = ["Who can apply", "How matching works", "What is asked of you", "When", "Contact"]


@get("/")
async def page() -> Template:
    return Template(
        "page.html",
        context={"name": "Reference Association", "tagline": "A small page", "items": ITEMS},
    )


_environment = Environment(loader=DictLoader(TEMPLATES), autoescape=select_autoescape())
app = Litestar(
    route_handlers=[page],
    template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(_environment)),
    openapi_config=None,
)


def main() -> None:
    from uvicorn.supervisors import Multiprocess

    from mentorhub.server import _uvicorn_options, listening_socket

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    options = _uvicorn_options("127.0.0.1", args.port)
    if args.workers == 1:
        with contextlib.suppress(KeyboardInterrupt):  # stopped with SIGINT
            uvicorn.Server(uvicorn.Config(app, **options)).run()
        return
    config = uvicorn.Config("benchmarks.pages_reference:app", workers=args.workers, **options)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[listening_socket("127.0.0.1", args.port)]).run()


if __name__ == "__main__":
    main()
