"""The reference for `benchmarks/pages.py`: a bare Litestar app rendering a small Jinja page
(a base template extended by the page, a loop, autoescaping), served by the same uvicorn with
the same settings as the product. Whatever the product costs beyond this is its own.

    uvicorn benchmarks.pages_reference:app
"""

from __future__ import annotations

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
