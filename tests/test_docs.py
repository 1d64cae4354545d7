"""Generated docs never go stale: the committed files equal what scripts/gen_docs.py writes."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_gen():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generated_docs_are_up_to_date():
    for path, text in load_gen().render().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run python scripts/gen_docs.py"


def test_model_doc_names_every_parameter_and_headline_figure():
    from engine.parameters import describe

    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    for row in describe():
        assert f"`{row['name']}`" in text
    for term in ("Effective financing supply", "Provinces hit", "Funding channel", "Supply-chain channel",
                 "Data channel", "capacity-utilisation change", "Policy levers"):
        assert term in text


def test_readme_commands_are_the_makefile_targets():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "\ndemo:" in make and "\ntest:" in make
    assert "make test" in ci


def test_every_function_the_model_doc_names_exists():
    """docs/model.md names the function of each equation: each `engine.x.y` reference must resolve."""
    import importlib
    import re

    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    names = sorted(set(re.findall(r"`(engine(?:\.\w+)+)`", text)))
    assert len(names) > 25
    for name in names:
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            for attr in parts[cut:]:
                obj = getattr(obj, attr, None)
                assert obj is not None, f"docs/model.md names {name}, which does not exist"
            break
        else:
            raise AssertionError(f"docs/model.md names {name}, which does not exist")


def test_every_step_of_the_clock_is_documented_in_order():
    from engine.clock import ORDER

    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    positions = [text.index(f"`{f.__module__}.{f.__name__}`") for f in ORDER]
    assert positions == sorted(positions)
