"""The docs stay true: every setting, route and event is in the site (its tables are made from
the code when it is built), and the README stays an overview whose links lead somewhere."""

import importlib
import inspect
import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from ops import docs
from shared.contracts.asyncapi import document

REPO = Path(__file__).resolve().parents[2]
SETTINGS_MODULES = ["shared.settings"] + [
    f"services.{p.parent.name}.settings" for p in sorted((REPO / "services").glob("*/settings.py"))
]


def page(name: str) -> str:
    """A page of the site as it is built: its generated tables filled in."""
    return docs.expand((REPO / "docs" / name).read_text())


def settings_classes() -> list[type[BaseSettings]]:
    found = []
    for name in SETTINGS_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseSettings) and cls.__module__ == name:
                found.append(cls)
    return found


@pytest.mark.parametrize("cls", settings_classes(), ids=lambda c: c.__name__)
def test_every_setting_is_in_the_configuration_page(cls: type[BaseSettings]) -> None:
    shown = page("configuration.md")
    prefix = str(cls.model_config.get("env_prefix") or "<SERVICE>_")
    for name, info in cls.model_fields.items():
        variable = f"`{prefix}{name}`".upper()
        shared = f"`<SERVICE>_{name}`".upper()
        assert variable in shown or shared in shown, f"{variable} is not in the docs"
        assert info.description, f"{variable} says nothing of what it does"


def test_every_route_of_the_three_services_is_in_the_http_page() -> None:
    shown = page("http-api.md")
    for service, build in docs.service_apps().items():
        for path, operations in build().openapi()["paths"].items():
            for method in operations:
                assert f"`{method.upper()} {path}`" in shown, f"{service}: {method} {path}"


def test_every_event_is_in_the_events_page() -> None:
    shown = page("events.md")
    for message in document()["components"]["messages"].values():
        assert f"`{message['name']}`" in shown


def test_the_readme_is_an_overview_and_its_links_lead_somewhere() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) < 300
    for section in ("## The flow", "## The two commands", "## Configuration", "## The contracts"):
        assert section in readme
    assert "## The latest benchmark" in readme
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith("http"):
            assert (REPO / target).exists(), f"the README links to {target}, which is not there"


def test_every_page_of_the_site_is_in_its_navigation() -> None:
    nav = (REPO / "mkdocs.yml").read_text()
    for path in sorted((REPO / "docs").glob("*.md")):
        assert path.name in nav, f"docs/{path.name} is not in mkdocs.yml's nav"
