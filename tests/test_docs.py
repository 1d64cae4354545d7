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
