"""The package layout the docs describe: few top-level modules, every module named in
docs/layout.md, packages that re-export nothing but their public faces."""

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "ncnet"


def modules() -> list[str]:
    return sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py"))


def test_at_most_six_modules_sit_directly_in_the_package():
    top = [m for m in modules() if "/" not in m and m not in ("__init__.py", "__main__.py")]
    assert top == ["chsh.py", "metrics.py", "paper.py"]


def test_docs_layout_names_every_module():
    text = (ROOT / "docs" / "layout.md").read_text()
    named = {m for m in modules() if m in text}
    # an __init__.py is named by its folder's own line where it only holds a docstring
    missing = [m for m in modules() if m not in named
               and not (m.endswith("__init__.py") and m != "cli/__init__.py")
               and m != "__init__.py"]
    assert missing == []


def test_package_inits_hold_only_a_docstring_except_the_public_faces():
    """One import path per name: a package's __init__ imports nothing, except ncnet.cli (the
    app) and ncnet.bell (the Bell family's documented API)."""
    faces = {"cli/__init__.py", "bell/__init__.py", "__init__.py"}
    importing = []
    for init in PACKAGE.rglob("__init__.py"):
        rel = init.relative_to(PACKAGE).as_posix()
        tree = ast.parse(init.read_text())
        if rel not in faces and any(isinstance(n, (ast.Import, ast.ImportFrom))
                                    for n in tree.body):
            importing.append(rel)
    assert importing == []


def test_the_old_chsh_paths_of_the_moved_statistics_are_thin_aliases_that_say_so():
    """ncnet.chsh keeps the 2 x 2 case; a generic statistic read from it is the object from
    its new home, with a DeprecationWarning naming that home."""
    import warnings

    from ncnet import chsh
    from ncnet.bell import score
    from ncnet.stats import outcomes, resampling, runs, verdicts

    homes = {"t_interval": runs, "bootstrap_ci": resampling, "verdict": verdicts,
             "Region": verdicts, "as_pm1": outcomes, "PAIRED_SCHEME": score}
    for name, home in homes.items():
        assert name not in chsh.__all__ and name not in vars(chsh)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert getattr(chsh, name) is getattr(home, name)
        assert [str(w.message) for w in caught] == [
            f"ncnet.chsh.{name} moved to {home.__name__}.{name}; import it from there"]
    try:
        chsh.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
