"""Model files of every cell (app.engine.cells CELLS): round trips, PyTorch's names, validation messages that
say what to change, versions, the registry and the bundled model."""

import json
import logging
import shutil

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from app.engine.cells import CELLS
from app.engine.lstm import LayerWeights
from app.model_store import (
    ModelError,
    display_order,
    load_folder,
    load_model,
    load_registry,
    model_version,
    params_from_tensors,
    params_to_tensors,
    write_model,
)
from app.resources import resource_dir
from tests.helpers import cell_variants, char_card, random_cell_params, variant_id

V = 9
VOCAB = ("?", *(chr(ord("a") + n) for n in range(V - 1)))
PARTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def card_for(model_id: str, cell: str = "lstm", **options) -> dict:
    return char_card(model_id, cell, VOCAB, **options)


def assert_same_params(a, b) -> None:
    assert type(a) is type(b)
    ta, tb = params_to_tensors(a), params_to_tensors(b)
    assert ta.keys() == tb.keys()
    for name in ta:
        assert ta[name].dtype == tb[name].dtype
        np.testing.assert_array_equal(ta[name], tb[name], err_msg=name)


SHAPES = {"emb+dec": dict(E=5, L=2, decoder=True), "onehot-nodec": dict(E=None, L=1, decoder=False),
          "emb-nodec": dict(E=3, L=3, decoder=False), "onehot+dec": dict(E=None, L=2, decoder=True)}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("cell, options", [pytest.param(*v, id=variant_id(*v)) for v in cell_variants()])
def test_write_then_load_round_trips_every_tensor_and_option(tmp_path, cell, options, shape):
    params = random_cell_params(np.random.default_rng(3), cell, V=V, **SHAPES[shape], **options)
    write_model(tmp_path, card_for("m1", cell, **options), params)
    model = load_model(tmp_path / "m1.safetensors")
    assert_same_params(model.params, params)
    assert model.cell == cell and model.spec is CELLS[cell] and CELLS[cell].options_of(model.params) == options
    assert type(model.compiled) is type(CELLS[cell].compile(params))
    assert model.id == "m1" and model.tokenizer.vocab[0] == "?"


@pytest.mark.parametrize("cell", list(CELLS))
def test_params_from_tensors_reads_a_cells_tensors_with_its_options(cell):
    params = random_cell_params(np.random.default_rng(3), cell, V=V)
    for options in (dict(o) for c, o in cell_variants([cell])):
        again = params_from_tensors(params_to_tensors(params), V, cell, **options)
        assert type(again) is CELLS[cell].params_type and CELLS[cell].options_of(again) == options
    assert CELLS[cell].options_of(params_from_tensors(params_to_tensors(params), V, cell)) == \
        CELLS[cell].card_options({})


@pytest.mark.parametrize("cell", list(CELLS))
def test_writer_makes_transposed_views_contiguous(tmp_path, cell):
    params = random_cell_params(np.random.default_rng(3), cell, V=V, E=4, L=1)
    layer = params.layers[0]
    W_hh_view = np.ascontiguousarray(layer.W_hh.T).T  # same values, Fortran-ordered memory
    assert not W_hh_view.flags.c_contiguous
    params = CELLS[cell].params_type((LayerWeights(layer.W_ih, W_hh_view, layer.b_ih, layer.b_hh),), V,
                                     params.embedding)
    write_model(tmp_path, card_for("m1", cell), params)
    np.testing.assert_array_equal(load_file(tmp_path / "m1.safetensors")[f"{cell}.weight_hh_l0"], layer.W_hh)


@pytest.mark.parametrize("cell", list(CELLS))
def test_tensor_names_are_pytorchs_state_dict_names(tmp_path, cell):
    write_model(tmp_path, card_for("m1", cell), random_cell_params(np.random.default_rng(3), cell, V=V, L=2))
    assert sorted(load_file(tmp_path / "m1.safetensors")) == sorted(
        ["embedding.weight", "decoder.weight", "decoder.bias"] + [f"{cell}.{p}_l{k}" for k in range(2) for p in PARTS]
    )


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_writer_refuses_a_card_that_names_another_cell(tmp_path, cell):
    params = random_cell_params(np.random.default_rng(3), cell, V=V)
    for other in CELLS:
        if other != cell:
            with pytest.raises(ModelError, match=f"card says cell '{other}' but the parameters are "
                                                 f"{CELLS[cell].article}'s"):
                write_model(tmp_path, card_for("m1", other), params)


def write_good(folder, model_id="good", cell="lstm", V=V):
    vocab = ("?", *(chr(ord("a") + n) for n in range(V - 1)))
    write_model(folder, char_card(model_id, cell, vocab), random_cell_params(np.random.default_rng(5), cell, V=V))
    return folder / f"{model_id}.safetensors"


def edit_tensors(path, **changes):
    tensors = dict(load_file(path))
    for name, value in changes.items():
        if value is None:
            del tensors[name]
        else:
            tensors[name] = value
    save_file(tensors, path)


def edit_card(path, drop=(), **changes):
    card = json.loads(path.with_suffix(".json").read_text())
    card = {k: v for k, v in card.items() if k not in drop}
    card.update(changes)
    path.with_suffix(".json").write_text(json.dumps(card))


def bad_files(cell: str) -> dict:
    """name -> (damage(path), what the message says) for a good two-layer model of `cell`: H = 7, V = 9, E = 5."""
    spec = CELLS[cell]
    n, H = spec.rows, 7
    nH = f"{n}H" if n > 1 else "H"
    other = next(c for c in CELLS if c != cell)
    zeros = lambda *shape: np.zeros(shape, np.float32)  # noqa: E731
    return {
        "truncated": (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "safetensors"),
        "not-safetensors": (lambda p: p.write_bytes(b"PK\x03\x04 this is a zip, not tensors"), "safetensors"),
        "pickle": (lambda p: p.write_bytes(b"\x80\x04\x95 pickled torch"), "safetensors"),
        "nan": (lambda p: edit_tensors(p, **{f"{cell}.bias_ih_l1": np.full(n * H, np.nan, np.float32)}), "NaN"),
        "misshaped-recurrent": (lambda p: edit_tensors(p, **{f"{cell}.weight_hh_l0": zeros(n * H + 1, H)}),
                                f"{cell}.weight_hh_l0 is ({n * H + 1}, {H}), expected ({nH}, H)"),
        "misshaped-input": (lambda p: edit_tensors(p, **{f"{cell}.weight_ih_l1": zeros(n * H, 5)}),
                            f"{cell}.weight_ih_l1 is ({n * H}, 5), expected ({n * H}, {H})"),
        "misshaped-bias": (lambda p: edit_tensors(p, **{f"{cell}.bias_hh_l0": zeros(n * H + 4)}),
                           f"{cell}.bias_hh_l0 is ({n * H + 4},), expected ({n * H},)"),
        "wrong-vocab": (lambda p: edit_tensors(p, **{"embedding.weight": zeros(8, 5)}), "embedding"),
        "missing-part": (lambda p: edit_tensors(p, **{f"{cell}.bias_ih_l1": None}),
                         f"layer 1 lacks ['{cell}.bias_ih_l1']"),
        "gap-in-layers": (lambda p: edit_tensors(p, **{f"{cell}.{q}_l0": None for q in PARTS}),
                          "layer numbers must run 0..0"),
        "no-layers": (lambda p: edit_tensors(p, **{f"{cell}.{q}_l{k}": None for k in (0, 1) for q in PARTS}),
                      f"no {cell.upper()} layer: expected tensors named {cell}.weight_ih_l0"),
        "stray-tensor": (lambda p: edit_tensors(p, **{"attention.weight": zeros(3)}), "unexpected tensor"),
        "half-decoder": (lambda p: edit_tensors(p, **{"decoder.bias": None}), "decoder"),
        "int-weights": (lambda p: edit_tensors(p, **{"decoder.bias": np.zeros(9, np.int32)}), "float32"),
        "card-not-json": (lambda p: p.with_suffix(".json").write_text("{nope"), "JSON"),
        "card-missing": (lambda p: p.with_suffix(".json").unlink(), "missing file"),
        "card-wrong-id": (lambda p: edit_card(p, id="other"), "must equal the file name"),
        "card-bad-cell": (lambda p: edit_card(p, cell="transformer"), "cell must be one of"),
        "card-no-tokenizer": (lambda p: edit_card(p, drop=("tokenizer",)), "card field 'tokenizer' is missing"),
        "card-other-cell": (lambda p: edit_card(p, drop=tuple(spec.options), cell=other),
                            f"belongs to {spec.article}, but the card says cell '{other}': name the tensors {other}.* "
                            f"or set the card's cell to '{cell}'"),
        "card-sizes-disagree": (lambda p: edit_card(p, sizes={"hidden_size": 99}), "card says hidden_size = 99"),
    }


BAD_CASES = [pytest.param(cell, name, id=f"{cell}-{name}") for cell in CELLS for name in bad_files(cell)]


@pytest.mark.parametrize("cell, name", BAD_CASES)
def test_a_bad_file_is_refused_naming_the_file_and_the_problem(tmp_path, cell, name):
    damage, problem = bad_files(cell)[name]
    bad = write_good(tmp_path, "bad", cell)
    damage(bad)
    with pytest.raises(ModelError) as info:
        load_model(bad)
    assert f"{tmp_path}/bad." in str(info.value) and problem in str(info.value), str(info.value)


def bad_options(cell: str) -> list[tuple[dict, str]]:
    """(card changes, message) for the options of `cell`: each with a value it does not allow or of another type,
    and each option of another cell that this one has not."""
    spec, cases = CELLS[cell], []
    for key, allowed in spec.options.items():
        for value in ("relu", str(allowed[0]), None, 1) if isinstance(allowed[0], bool) else ("relu", 1, None):
            if value != allowed[0] or type(value) is not type(allowed[0]):
                cases.append(({key: value}, f"{key} must be one of {allowed}, got {value!r}"))
    for key in sorted({k for c in CELLS.values() for k in c.options} - set(spec.options)):
        cases.append(({key: "x"}, f"{key} is not an option of {spec.article}; its card may name "
                                  f"{', '.join(spec.options) or 'no options'}"))
    return cases


OPTION_CASES = [pytest.param(cell, changes, message, id=f"{cell}-{'-'.join(f'{k}={v}' for k, v in changes.items())}")
                for cell in CELLS for changes, message in bad_options(cell)]


@pytest.mark.parametrize("cell, changes, message", OPTION_CASES)
def test_a_card_option_the_cell_does_not_allow_is_refused_saying_what_it_allows(tmp_path, cell, changes, message):
    bad = write_good(tmp_path, "bad", cell)
    edit_card(bad, **changes)
    with pytest.raises(ModelError) as info:
        load_model(bad)
    assert message in str(info.value), str(info.value)


@pytest.mark.parametrize("cell", list(CELLS))
def test_a_card_without_options_gets_the_cells_defaults(tmp_path, cell):
    good = write_good(tmp_path, "good", cell)
    edit_card(good, drop=tuple(CELLS[cell].options))
    assert CELLS[cell].options_of(load_model(good).params) == CELLS[cell].card_options({})


def test_the_other_models_still_load_and_the_refusal_is_logged(tmp_path, caplog):
    write_good(tmp_path, "alpha")
    write_good(tmp_path, "bad").write_bytes(b"garbage")
    write_good(tmp_path, "zulu")
    models, errors = load_folder(tmp_path)
    assert list(models) == ["alpha", "zulu"] and len(errors) == 1 and "bad.safetensors" in errors[0]
    with caplog.at_level(logging.ERROR):
        registry = load_registry([tmp_path])
    assert list(registry) == ["alpha", "zulu"]
    assert "bad.safetensors" in caplog.text


def test_a_repeated_id_in_a_later_folder_is_refused(tmp_path, caplog):
    first, second = tmp_path / "a", tmp_path / "b"
    write_good(first, "same")
    write_good(second, "same", V=7)
    with caplog.at_level(logging.ERROR):
        registry = load_registry([first, second])
    assert registry["same"].params.vocab_size == 9
    assert "already loaded" in caplog.text


def test_the_registry_hands_back_one_line_per_refusal(tmp_path, caplog):
    first, second = tmp_path / "a", tmp_path / "b"
    write_good(first, "same")
    write_good(first, "bad").write_bytes(b"garbage")
    write_good(second, "same", V=7)
    refused: list[str] = []
    with caplog.at_level(logging.ERROR):
        registry = load_registry([first, tmp_path / "absent", second], refused=refused)
    assert list(registry) == ["same"] and len(refused) == 3, refused
    assert refused[0].startswith(f"{first}/bad.safetensors: not a readable safetensors file")
    assert refused[1] == f"models folder {tmp_path / 'absent'} does not exist"
    assert refused[2].startswith(f"{second}/same.safetensors: the id 'same' is already loaded")
    assert all(line in caplog.text for line in refused)
    assert load_registry([first]).keys() == {"same"}  # without `refused`: the same registry, logged only


@pytest.mark.parametrize("model_id", sorted(p.stem for p in resource_dir("models").glob("*.safetensors")))
def test_a_bundled_model_reads_as_the_safetensors_library_reads_it_with_the_same_version(model_id):
    path = resource_dir("models") / f"{model_id}.safetensors"
    model = load_model(path)
    again = params_to_tensors(model.params)
    library = load_file(path)
    assert again.keys() == library.keys()
    for name, a in again.items():
        assert a.dtype == library[name].dtype == np.float32 and a.flags.c_contiguous, name
        np.testing.assert_array_equal(a, library[name], err_msg=name)
    assert not model.params.layers[0].W_hh.flags.writeable  # shared by every request, as the library's arrays
    cell = {"cell": model.cell, **model.spec.options_of(model.params)}
    assert model.version == model_version(path.read_bytes(), model.card["tokenizer"], cell)  # in shared links


def test_a_header_with_metadata_loads_and_the_card_keeps_its_own_fields(tmp_path):
    path = write_good(tmp_path, "m")
    save_file(dict(load_file(path)), path, metadata={"format": "pt", "note": "exported"})
    edit_card(path, my_notes={"anything": [1, "two", None]}, sample="text")
    model = load_model(path)
    assert model.card["my_notes"] == {"anything": [1, "two", None]} and type(model.card) is dict


def test_version_ignores_the_description_but_not_weights_or_tokenizer(tmp_path):
    path = write_good(tmp_path, "m")
    v0 = load_model(path).version
    card = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**card, "description": "edited", "title": "New"}))
    assert load_model(path).version == v0
    card["tokenizer"]["lowercase"] = True
    path.with_suffix(".json").write_text(json.dumps(card))
    v1 = load_model(path).version
    assert v1 != v0
    edit_tensors(path, **{"decoder.bias": np.ones(9, np.float32)})
    assert load_model(path).version not in (v0, v1)
    assert len(v0) == 12


OPTION_VARIANTS = [pytest.param(*v, id=variant_id(*v)) for v in cell_variants()
                   if v[1] != CELLS[v[0]].card_options({})]


@pytest.mark.parametrize("cell, options", OPTION_VARIANTS)
def test_a_card_option_changes_the_version(tmp_path, cell, options):
    path = write_good(tmp_path, "m", cell)
    v0 = load_model(path).version
    edit_card(path, **options)
    assert load_model(path).version != v0


def test_bundled_untrained_model_loads_and_covers_the_lecture():
    from app.corpora.lecture import EXAMPLES

    model = load_model(resource_dir("models") / "untrained.safetensors")
    assert model.params.hidden_size == 32 and model.tokenizer.kind == "word"
    unk = model.tokenizer.unk_id
    for text in EXAMPLES:
        assert all(t.id != unk for t in model.tokenizer.tokenize(text)), text


def test_bundled_untrained_model_is_reproduced_by_its_command(tmp_path):
    import subprocess
    import sys

    root = resource_dir("models").parent
    subprocess.run([sys.executable, str(root / "tools" / "make_untrained.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    for name in ("untrained.safetensors", "untrained.json"):
        assert (tmp_path / name).read_bytes() == (resource_dir("models") / name).read_bytes()


def test_user_models_folder_is_loaded_after_the_bundled_one(tmp_path):
    shutil.copy(resource_dir("models") / "untrained.json", tmp_path / "untrained.json")
    write_good(tmp_path, "mine")
    registry = load_registry([resource_dir("models"), tmp_path])
    assert list(registry)[-1] == "mine" and "untrained" in registry


def test_display_order_puts_the_default_first_and_snapshots_last(tmp_path):
    for model_id in ("zeta", "alpha", "run", "run-step100", "run-step20"):
        write_good(tmp_path, model_id)
    for model_id, step in (("run-step100", 100), ("run-step20", 20)):
        path = tmp_path / f"{model_id}.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "snapshot_of": "run",
                                    "provenance": {"steps": step}}))
    models, _ = load_folder(tmp_path)
    assert list(display_order(models, "zeta")) == ["zeta", "alpha", "run", "run-step20", "run-step100"]
    assert list(display_order(models, "absent"))[:3] == ["alpha", "run", "zeta"]
