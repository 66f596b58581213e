"""The docs site's hook (mkdocs.yml, ``hooks``): each ``<!-- generated: NAME -->`` in a page
becomes its table, made from the code when the site is built (``ops/docs.py``)."""

from typing import Any

from ops.docs import expand


def on_page_markdown(markdown: str, **_: Any) -> str:
    return expand(markdown)
