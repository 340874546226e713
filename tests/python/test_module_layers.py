"""The house's layers (issue 20): the shared vocabulary (`src/identity/`) at the bottom,
adapters and HR input above it, workflows that never import one another, and no import
circle among the top-level modules of `src/`. Reads `crate::` paths in non-test code."""

import pathlib
import re

SRC = pathlib.Path(__file__).resolve().parents[2] / "src"
CRATE_PATH = re.compile(r"\bcrate::([a-z_]+)")
# Test code may wire workflows together; it is not part of the house.
TEST_FILES = re.compile(r"(^|/)(tests|[a-z_]+_tests|test_fixtures)\.rs$")
WORKFLOWS = {"onboarding", "lifecycle", "hygiene"}
ABOVE_WORKFLOWS = {"workflows", "triggers", "handler", "http", "error"}


def top_module(path: pathlib.Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".rs")


def code_of(text: str) -> str:
    """The file without `#[cfg(test)]` items and without comments."""
    cut = text.find("#[cfg(test)]\nmod ")
    if cut >= 0:
        text = text[:cut]
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.rs")):
        rel = str(path.relative_to(SRC))
        if TEST_FILES.search(rel) or rel in ("lib.rs", "main.rs"):
            continue
        module = top_module(path)
        used = set(CRATE_PATH.findall(code_of(path.read_text())))
        graph.setdefault(module, set()).update(used - {module})
    return graph


def test_identity_imports_no_other_module():
    assert imports()["identity"] == set()


def test_adapters_and_hr_input_import_only_the_vocabulary_and_config():
    graph = imports()
    assert graph["aws"] <= {"identity", "config"}, graph["aws"]
    assert graph["hr"] <= {"identity"}, graph["hr"]


def test_lease_and_deadline_stay_below_the_workflows():
    graph = imports()
    for module in ("lease", "deadline", "batch", "schedule", "config"):
        assert not graph[module] & (WORKFLOWS | ABOVE_WORKFLOWS), (module, graph[module])


def test_no_workflow_imports_another_or_anything_above():
    graph = imports()
    for workflow in WORKFLOWS:
        assert not graph[workflow] & ((WORKFLOWS - {workflow}) | ABOVE_WORKFLOWS), (
            workflow,
            graph[workflow],
        )


def test_no_import_circle_among_top_level_modules():
    graph = imports()
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                raise AssertionError("import circle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_the_checks_see_a_circle_when_there_is_one():
    """Negative control: the reader finds `crate::` paths and ignores comments and tests."""
    assert CRATE_PATH.findall("use crate::onboarding::Step;") == ["onboarding"]
    assert CRATE_PATH.findall(code_of("// see crate::lifecycle\nfn a() {}")) == []
    assert CRATE_PATH.findall(code_of("fn a() {}\n#[cfg(test)]\nmod tests { use crate::x; }")) == []
