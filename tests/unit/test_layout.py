"""The one shape of the three services (docs/architecture.md), checked where one would trip."""

import ast
import sys
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
NAMES = ("rules", "ledger", "notifications")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def _domain_files(service: str) -> list[Path]:
    root = SERVICES / service
    return sorted([*root.glob("domain/*.py"), *root.glob("*/domain.py")])


# Shared modules a domain may use: pure functions over standard types, themselves importing
# only the standard library (checked below), with no service's domain logic in them.
PURE_SHARED = ("shared.wording",)


@pytest.mark.parametrize("service", NAMES)
def test_a_domain_imports_only_the_standard_library_and_its_own_domain(service: str) -> None:
    own = (f"services.{service}.domain", f"services.{service}.rewards.domain")
    for path in _domain_files(service):
        for module in _imports(path):
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or module.startswith(own + PURE_SHARED), (
                f"{path.relative_to(SERVICES)} imports {module}"
            )


@pytest.mark.parametrize("module", PURE_SHARED)
def test_what_a_domain_may_use_of_shared_imports_only_the_standard_library(module: str) -> None:
    path = SERVICES.parent / (module.replace(".", "/") + ".py")
    for imported in _imports(path):
        assert imported.split(".")[0] in sys.stdlib_module_names, f"{module} imports {imported}"


@pytest.mark.parametrize("service", NAMES)
def test_no_service_imports_another(service: str) -> None:
    others = tuple(f"services.{o}" for o in NAMES if o != service)
    for path in sorted((SERVICES / service).rglob("*.py")):
        for module in _imports(path):
            assert not module.startswith(others), f"{path.relative_to(SERVICES)} imports {module}"


@pytest.mark.parametrize("service", NAMES)
def test_every_service_has_the_same_places(service: str) -> None:
    root = SERVICES / service
    for place in (
        "domain",
        "adapters/orm.py",
        "adapters/repository.py",
        "service_layer/unit_of_work.py",
        "service_layer/handlers.py",
        "service_layer/views.py",
        "entrypoints/consumer.py",
        "entrypoints/context.py",
        "entrypoints/http.py",
        "entrypoints/admin_http.py",
        "bootstrap.py",
        "settings.py",
    ):
        assert (root / place).exists(), f"services/{service}/{place} is missing"


def test_the_console_holds_no_data_and_reaches_the_services_only_over_http() -> None:
    """The fourth deployable is stateless: settings, clients of the services' public APIs
    (adapters), pages (entrypoints) and templates; no tables, no import of a service."""
    root = SERVICES / "console"
    for place in (
        "settings.py",
        "bootstrap.py",
        "adapters/backends.py",
        "entrypoints",
        "templates",
    ):
        assert (root / place).exists(), f"services/console/{place} is missing"
    assert not (root / "adapters/orm.py").exists()
    for path in sorted(root.rglob("*.py")):
        for module in _imports(path):
            assert not module.startswith(tuple(f"services.{s}" for s in NAMES)), (
                f"{path.relative_to(SERVICES)} imports {module}"
            )
            assert not module.startswith("sqlalchemy"), f"{path.relative_to(SERVICES)} holds data"


CONSUMERS = [SERVICES / s / "entrypoints/consumer.py" for s in NAMES]


@pytest.mark.parametrize("path", CONSUMERS, ids=NAMES)
def test_a_consumer_dispatches_by_its_table_not_by_comparing_types(path: Path) -> None:
    """What handles event X is one grep of the consumer's ROUTES, not an if/elif chain."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            names = {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
            assert "type" not in names, f"{path.relative_to(SERVICES)}:{node.lineno}"
    assert "ROUTES = Dispatch(" in path.read_text()


def test_the_rules_consumer_routes_every_inbound_type() -> None:
    from services.rules.entrypoints.consumer import ROUTES
    from shared.contracts.inbound import INBOUND_TYPES

    assert set(ROUTES.routes) == set(INBOUND_TYPES)
    assert not ROUTES.skipped


UNITS_OF_WORK = sorted(SERVICES.glob("*/service_layer/*unit_of_work.py"))
# The one operation every service's erasure use case asks of its unit of work by one name
# (shared.erasure.ErasingTransaction); where a service only forgets, it forwards.
SHARED_PROTOCOL = {"erase"}


@pytest.mark.parametrize("path", UNITS_OF_WORK, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_a_unit_of_work_has_no_forwarding_methods(path: Path) -> None:
    """Use cases reach the repositories on the unit of work (``uow.accounts.load``): a new
    query is two edits (repository and protocol), not four."""
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.AsyncFunctionDef) or node.name in SHARED_PROTOCOL:
            continue
        body = [s for s in node.body if not isinstance(s, ast.Expr | ast.Pass) or _is_call(s)]
        if len(body) != 1 or not isinstance(body[0], ast.Return | ast.Expr):
            continue
        value = body[0].value
        if isinstance(value, ast.Await) and isinstance(value.value, ast.Call):
            func = value.value.func
            forwards = isinstance(func, ast.Attribute) and func.attr == node.name
            assert not forwards, f"{path.relative_to(SERVICES)}: {node.name} forwards"


def _is_call(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Await)


# Each layer imports only the layers below it: entrypoints → service_layer → adapters → domain.
BELOW = {
    "domain": (),
    "adapters": ("domain", "adapters"),
    "service_layer": ("domain", "adapters", "service_layer"),
}


@pytest.mark.parametrize("service", NAMES)
def test_a_layer_never_imports_a_layer_above_it(service: str) -> None:
    root = SERVICES / service
    for layer, allowed in BELOW.items():
        above = tuple(
            f"services.{service}.{other}"
            for other in ("domain", "adapters", "service_layer", "entrypoints")
            if other != layer and other not in allowed
        )
        for path in sorted((root / layer).glob("*.py")):
            for module in _imports(path):
                assert not module.startswith(above), (
                    f"{path.relative_to(SERVICES)} imports {module}"
                )


@pytest.mark.parametrize("service", NAMES)
def test_a_service_is_its_layers_and_nothing_beside_them(service: str) -> None:
    """A feature (rewards, the program) lives in the layers, not in a sub-package that would
    import its parent back."""
    packages = {p.name for p in (SERVICES / service).iterdir() if (p / "__init__.py").exists()}
    assert packages <= {"domain", "adapters", "service_layer", "entrypoints", "migrations"}


def test_no_source_file_is_over_250_lines_outside_migrations() -> None:
    """A file a newcomer can read in one sitting: split by subject when it grows."""
    repo = SERVICES.parent
    long = [
        f"{path.relative_to(repo)}: {lines}"
        for top in ("services", "shared", "ops", "bench", "tests", "deploy")
        for path in sorted((repo / top).rglob("*.py"))
        if "migrations" not in path.parts
        and "node_modules" not in path.parts
        and (lines := len(path.read_text().splitlines())) > 250
    ]
    assert long == []
