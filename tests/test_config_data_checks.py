"""Bad data files are config errors found before training: each message names the file, the
column or array and the row (a CSV row by its line in the file), never a traceback; and the
files a user may well write (a byte-order mark, ';' or tab delimiters, labels written 1.0) work."""
import textwrap

import numpy as np
import pytest

import chainrule as cr
from chainrule.config import load, from_dict, ConfigError
from chainrule.config.data import (DataFileError, build_datasets, check_finite, check_labels, read_table)

# Eight rows of two features and a label: lines 2 to 9 of data.csv.
ROWS = ["0,0,0", "0,1,1", "1,0,1", "1,1,0", "0,0,0", "0,1,1", "1,0,1", "1,1,0"]
MODEL = """\
model:
  layers:
    - Linear: {in_features: 2, out_features: 2}
loss: CrossEntropyLoss
solver: {epochs: 1, batch_size: 4}
"""


def csv_text(rows=ROWS, header="a,b,y", delimiter=","):
    return "\n".join([header] + list(rows)).replace(",", delimiter) + "\n"


def config(tmp_path, data="{file: data.csv, columns: {x: [a, b]}, validation_fraction: 0.25}"):
    path = tmp_path / "model.yaml"
    path.write_text(f"data: {data}\n" + textwrap.dedent(MODEL))
    return str(path)


def load_csv(tmp_path, content, **options):
    """Load the config after writing ``content`` (text or bytes) to data.csv."""
    target = tmp_path / "data.csv"
    target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return load(config(tmp_path, **options))


def load_npz(tmp_path, **arrays):
    np.savez(tmp_path / "data.npz", **arrays)
    return load(config(tmp_path, "{file: data.npz, validation_fraction: 0.25}"))


def one_step(experiment):
    """A loss and its gradient on one training batch: the data really trains."""
    x, y = next(iter(experiment.train_loader))
    loss = experiment.loss(experiment.model(x), y)
    loss.backward()
    return loss.item()


# ---------------------------------------------------------------- files that must work

def test_a_csv_with_a_byte_order_mark_trains(tmp_path):
    experiment = load_csv(tmp_path, b"\xef\xbb\xbf" + csv_text().encode("utf-8"))
    assert {"a", "b", "y"} <= set(experiment.train_data.columns)
    assert np.isfinite(one_step(experiment))


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters_are_found_from_the_header(tmp_path, delimiter):
    experiment = load_csv(tmp_path, csv_text(delimiter=delimiter))
    columns = experiment.train_data.columns
    assert set(columns) == {"a", "b", "y", "x"} and columns["x"].shape[1] == 2
    table = read_table(str(tmp_path / "data.csv"), "data.csv")
    np.testing.assert_array_equal(table["y"], [0, 1, 1, 0, 0, 1, 1, 0])
    assert table["y"].dtype == np.int64


def test_blank_lines_are_skipped_and_rows_keep_their_file_lines(tmp_path):
    (tmp_path / "data.csv").write_text("a,b,y\n0,0,0\n\n0,1,1\n1,nan,1\n")
    table = read_table(str(tmp_path / "data.csv"), "data.csv")
    assert list(table.lines) == [2, 4, 5]
    with pytest.raises(DataFileError, match=r"^data.csv: column 'b' has NaN at line 5;"):
        check_finite(table, ["a", "b"], "data.csv")


def test_read_table_errors_are_data_file_errors_naming_the_file(tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n1,cat\n")
    with pytest.raises(DataFileError) as info:
        read_table(str(tmp_path / "data.csv"), "shown.csv")
    assert isinstance(info.value, ValueError) and str(info.value).startswith("shown.csv: ")


# ---------------------------------------------------------------- unreadable CSV files

def test_a_csv_that_is_not_utf8(tmp_path):
    with pytest.raises(ConfigError, match=r"data.file: cannot read 'data.csv': data.csv is not UTF-8 text.*line 1"):
        load_csv(tmp_path, "a,bé,y\n0,0,0\n".encode("latin-1"))


def test_a_csv_with_only_a_header(tmp_path):
    with pytest.raises(ConfigError, match=r"data.csv has no rows: it holds only the header line \(a, b, y\)"):
        load_csv(tmp_path, "a,b,y\n")


def test_an_empty_csv(tmp_path):
    with pytest.raises(ConfigError, match=r"data.csv has no rows: the file is empty"):
        load_csv(tmp_path, "")
    with pytest.raises(ConfigError, match=r"data.csv has no rows"):
        load_csv(tmp_path, "\n  \n")


def test_a_text_column(tmp_path):
    rows = ["0,0,dog", "0,1,cat"] + ROWS[2:]
    with pytest.raises(ConfigError, match=r"data.csv: column 'y' is not numeric \(e.g. 'dog' at line 2\)"):
        load_csv(tmp_path, csv_text(rows))


def test_an_empty_field_is_a_missing_value_with_its_line(tmp_path):
    rows = ["0,0,0", "0,,1"] + ROWS[2:]
    with pytest.raises(ConfigError, match=r"data.csv: column 'b' has an empty field \(a missing value\) at line 3;"):
        load_csv(tmp_path, csv_text(rows))


def test_rows_with_a_different_number_of_fields(tmp_path):
    with pytest.raises(ConfigError, match=r"data.csv: line 4 has 2 fields but the header line has 3 columns "
                                          r"\(a, b, y\)"):
        load_csv(tmp_path, csv_text(ROWS[:2] + ["1,0"] + ROWS[3:]))
    # a header without any delimiter is one column: the rows' fields do not fit it
    with pytest.raises(ConfigError, match=r"line 2 has 3 fields but the header line has 1 column \(a b y\); "
                                          r"the header line holds no ',', ';' or tab"):
        load_csv(tmp_path, csv_text(header="a b y"))


def test_decimal_commas_in_a_semicolon_file_get_a_hint(tmp_path):
    rows = [row.replace(",", ";") for row in ROWS]
    rows[0] = "0,5;0;0"
    with pytest.raises(ConfigError, match=r"column 'a' is not numeric \(e.g. '0,5' at line 2\); write decimals"):
        load_csv(tmp_path, csv_text(rows, header="a;b;y"))


# ---------------------------------------------------------------- unreadable .npz files

def test_an_npz_with_zero_rows(tmp_path):
    with pytest.raises(ConfigError, match=r"data.npz: array 'x' has no rows \(shape \(0, 2\)\)"):
        load_npz(tmp_path, x=np.zeros((0, 2), np.float32), y=np.zeros(0, np.int64))


def test_an_npz_with_a_string_array(tmp_path):
    with pytest.raises(ConfigError, match=r"data.npz: array 'y' holds text \(dtype <U1\); it must hold numbers"):
        load_npz(tmp_path, x=np.zeros((8, 2), np.float32), y=np.array(["a", "b"] * 4))


def test_an_npz_with_an_object_array(tmp_path):
    with pytest.raises(ConfigError, match=r"data.npz: array 'y' holds Python objects .* it must hold numbers"):
        load_npz(tmp_path, x=np.zeros((8, 2), np.float32), y=np.array([1, "a", None, 2] * 2, dtype=object))


@pytest.mark.parametrize("content, words", [
    (bytes(np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8)), "is not an .npz archive"),
    (b"PK\x03\x04" + bytes(200), "is damaged or truncated"),
    (b"", "is empty"),
])
def test_a_damaged_npz_is_a_config_error(tmp_path, content, words):
    (tmp_path / "data.npz").write_bytes(content)
    with pytest.raises(DataFileError, match=f"^data.npz {words}"):
        read_table(str(tmp_path / "data.npz"), "data.npz")
    with pytest.raises(ConfigError, match=f"data.file: cannot read 'data.npz': data.npz {words}"):
        load(config(tmp_path, "{file: data.npz}"))


def test_a_truncated_npz_is_a_config_error(tmp_path):
    np.savez(tmp_path / "full.npz", x=np.zeros((50, 2)), y=np.zeros(50, np.int64))
    content = (tmp_path / "full.npz").read_bytes()
    (tmp_path / "data.npz").write_bytes(content[:len(content) // 2])
    with pytest.raises(ConfigError, match=r"data.npz is damaged or truncated"):
        load(config(tmp_path, "{file: data.npz}"))


def test_an_npz_with_a_damaged_compressed_array(tmp_path):
    np.savez_compressed(tmp_path / "data.npz", x=np.random.default_rng(0).random((200, 2)), y=np.zeros(200, int))
    content = bytearray((tmp_path / "data.npz").read_bytes())
    content[60:120] = bytes(60)                                      # inside the first member
    (tmp_path / "data.npz").write_bytes(bytes(content))
    with pytest.raises(DataFileError, match=r"^data.npz"):
        read_table(str(tmp_path / "data.npz"), "data.npz")


# ---------------------------------------------------------------- NaN and infinite values

def test_nan_in_an_input_names_the_file_column_and_line(tmp_path):
    rows = ROWS[:3] + ["1,nan,1", "1,1,0", "0,NaN,0"] + ROWS[6:]
    with pytest.raises(ConfigError, match=r"model.yaml:1: data.file: data.csv: column 'b' has NaN at line 5 "
                                          r"\(and 1 more row\); clean the file or drop those rows"):
        load_csv(tmp_path, csv_text(rows))


def test_inf_in_the_target(tmp_path):
    rows = ROWS[:2] + ["1,0,inf"] + ROWS[3:]
    with pytest.raises(ConfigError, match=r"data.csv: column 'y' has inf at line 4;"):
        load_csv(tmp_path, csv_text(rows))


def test_nan_in_an_unused_column_is_no_error(tmp_path):
    rows = [row + ",nan" for row in ROWS]
    experiment = load_csv(tmp_path, csv_text(rows, header="a,b,y,notes"))
    assert np.isnan(experiment.train_data.columns["notes"]).all()


def test_npz_nan_names_the_sample_index(tmp_path):
    x = np.zeros((8, 2), np.float32)
    x[5, 1] = np.nan
    x[6, 0] = -np.inf
    with pytest.raises(ConfigError, match=r"data.npz: array 'x' has NaN at row 5 \(x\[5, 1\]\) \(and 1 more row\)"):
        load_npz(tmp_path, x=x, y=np.zeros(8, np.int64))


def test_nan_in_a_test_file_is_found_before_training(tmp_path):
    (tmp_path / "data.csv").write_text(csv_text())
    (tmp_path / "test.csv").write_text(csv_text(["0,0,0", "-inf,1,1"]))
    with pytest.raises(ConfigError, match=r"data.test_file: test.csv: column 'a' has -inf at line 3"):
        load(config(tmp_path, "{file: data.csv, test_file: test.csv, columns: {x: [a, b]}}"))


def test_check_finite_for_other_callers():
    columns = {"x": np.array([[0.0, 1.0], [np.inf, 0.0], [np.nan, 1.0]]), "y": np.array([0, 1, 2])}
    check_finite(columns, ["y"], "points.npz")
    with pytest.raises(DataFileError, match=r"^points.npz: array 'x' has inf at row 1 \(x\[1, 0\]\) "
                                            r"\(and 1 more row\)"):
        check_finite(columns, ["x", "y"], "points.npz")
    with pytest.raises(DataFileError, match=r"^points.csv: column 'x' has inf at line 7"):
        check_finite(columns, ["x"], "points.csv", lines=[5, 7, 9])


# ---------------------------------------------------------------- the columns a config uses

def test_a_test_file_without_the_target_column(tmp_path):
    (tmp_path / "data.csv").write_text(csv_text())
    (tmp_path / "test.csv").write_text("a,b\n0,0\n1,1\n")
    with pytest.raises(ConfigError, match=r"data.test_file: test file 'test.csv' has no column 'y' "
                                          r"\(it has \['a', 'b', 'x'\]\)"):
        load(config(tmp_path, "{file: data.csv, test_file: test.csv, columns: {x: [a, b]}}"))


def test_a_test_file_with_other_sample_shapes(tmp_path):
    np.savez(tmp_path / "train.npz", x=np.zeros((8, 2)), y=np.zeros(8, np.int64))
    np.savez(tmp_path / "test.npz", x=np.zeros((4, 3)), y=np.zeros(4, np.int64))
    with pytest.raises(ConfigError, match=r"test file 'test.npz': array 'x' has samples of shape \(3,\), "
                                          r"the training file's have shape \(2,\)"):
        load(config(tmp_path, "{file: train.npz, test_file: test.npz}"))


def test_a_split_too_small_for_validation(tmp_path):
    # 4 rows: 1 for testing, 3 for training, of which 10% rounds to no validation row
    with pytest.raises(ConfigError, match=r"data.validation_fraction: validation_fraction 0.1 of 3 training rows "
                                          r"holds out no rows"):
        load_csv(tmp_path, csv_text(ROWS[:4]), data="{file: data.csv, columns: {x: [a, b]}}")
    with pytest.raises(ConfigError, match=r"data: the training split has no rows"):
        load_csv(tmp_path, csv_text(ROWS[:1]), data="{file: data.csv, columns: {x: [a, b]}, test_fraction: 0.6}")


def test_derive_needs_a_number_and_no_division_by_zero(tmp_path):
    (tmp_path / "data.csv").write_text(csv_text())
    with pytest.raises(ConfigError, match=r"data.derive.odd.mod: cannot mod by 0"):
        load(config(tmp_path, "{file: data.csv, columns: {x: [a, b]}, derive: {odd: {from: y, mod: 0}}}"))
    with pytest.raises(ConfigError, match=r"data.derive.odd.mod: the value to mod by must be a number, got 'two'"):
        load(config(tmp_path, "{file: data.csv, columns: {x: [a, b]}, derive: {odd: {from: y, mod: two}}}"))


def test_options_with_a_data_file_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"data.options: options are keyword arguments of a built-in dataset"):
        load_csv(tmp_path, csv_text(), data="{file: data.csv, columns: {x: [a, b]}, options: {n: 5}}")


# ---------------------------------------------------------------- class labels

def datasets_of(tmp_path, content, data=None):
    """(train, validation, test) ColumnDatasets of data.csv, as build.py gets them."""
    (tmp_path / "data.csv").write_text(content)
    section = data or {"file": "data.csv", "columns": {"x": ["a", "b"]}, "validation_fraction": 0.25}
    source = from_dict({"data": section})
    train, validation, test, _, _ = build_datasets(source, section, 0, str(tmp_path))
    return source, [train, validation, test]


def test_labels_written_as_floats_become_integers(tmp_path):
    rows = [row[:-1] + row[-1] + ".0" for row in ROWS] * 2
    source, datasets = datasets_of(tmp_path, csv_text(rows))
    assert datasets[0].columns["y"].dtype.kind == "f"
    fixed = check_labels(source, datasets, "y", 2)
    for dataset in fixed:
        assert dataset.columns["y"].dtype == np.int64
        assert dataset.get_batch([0])[1].dtype == cr.int64 and dataset[0][1].dtype == cr.int64
    x, y = datasets[0].get_batch(list(range(len(datasets[0]))))
    loss = cr.nn.CrossEntropyLoss()(cr.nn.Linear(2, 2)(x), y)
    assert np.isfinite(loss.item())


def test_fractional_labels_are_refused_with_their_line(tmp_path):
    rows = ROWS[:5] + ["0,1,1.5"] + ROWS[6:]
    source, datasets = datasets_of(tmp_path, csv_text(rows), {"file": "data.csv", "validation_fraction": 0,
                                                              "test_fraction": 0, "columns": {"x": ["a", "b"]}})
    with pytest.raises(ConfigError, match=r"data.targets: labels must be integers: column 'y' holds 1.5 at line 7 "
                                          r"of data.csv"):
        check_labels(source, datasets, "y", 2)


def test_labels_out_of_range_name_the_classes_and_the_line(tmp_path):
    rows = ROWS[:2] + ["1,0,12", "1,1,-1"] + ROWS[4:]
    section = {"file": "data.csv", "validation_fraction": 0, "test_fraction": 0, "columns": {"x": ["a", "b"]}}
    source, datasets = datasets_of(tmp_path, csv_text(rows), section)
    with pytest.raises(ConfigError, match=r"labels must be in \[0, 10\) \(the model outputs 10 classes\): "
                                          r"column 'y' holds 12 at line 4 of data.csv \(and 1 more row\)"):
        check_labels(source, datasets, "y", 10, path=("loss",))


def test_label_checks_for_npz_and_class_probabilities(tmp_path):
    np.savez(tmp_path / "data.npz", x=np.zeros((8, 2)), y=np.array([0, 1, 2, 3, 0, 1, 2, 3]),
             soft=np.full((8, 2), 0.5))
    section = {"file": "data.npz", "validation_fraction": 0, "test_fraction": 0, "targets": ["y", "soft"]}
    source = from_dict({"data": section})
    train, _, test, _, _ = build_datasets(source, section, 0, str(tmp_path))
    check_labels(source, [train, None, test], "soft", 2)              # probabilities: left alone
    assert train.columns["soft"].dtype.kind == "f"
    with pytest.raises(ConfigError, match=r"labels must be in \[0, 3\).*array 'y' holds 3 at row 3 of data.npz"):
        check_labels(source, [train, test], "y", 3)


# ---------------------------------------------------------------- built-in dataset options

def builtin(tmp_path, options, dataset="xor"):
    return load(config(tmp_path, f"{{dataset: {dataset}, options: {options}}}"))


@pytest.mark.parametrize("options, words", [
    ("{n: many}", r"data.options.n: dataset 'xor': option 'n' must be a whole number, got 'many'"),
    ("{n: 2.5}", r"data.options.n: "),
    ("{n: 0}", r"data.options.n: .*at least 1"),
    ("{n: -5}", r"data.options.n: .*at least 1"),
    ("{noise: [0.1]}", r"data.options.noise: dataset 'xor': option 'noise' must be a number, got \[0.1\]"),
    ("{noise: true}", r"data.options.noise: dataset 'xor': option 'noise' must be a number, got True"),
    ("{test_fraction: 1.5}", r"data.options.test_fraction: .*\[0, 1\)"),
])
def test_dataset_options_of_the_wrong_type_or_range(tmp_path, options, words):
    with pytest.raises(ConfigError, match=words):
        builtin(tmp_path, options)


def test_a_boolean_option_must_be_true_or_false(tmp_path):
    with pytest.raises(ConfigError, match=r"data.options.flatten: dataset 'digits': option 'flatten' must be true "
                                          r"or false, got 'yes'"):
        builtin(tmp_path, "{flatten: 'yes'}", dataset="digits")


def test_options_that_leave_no_training_samples(tmp_path):
    with pytest.raises(ConfigError, match=r"data.options: dataset 'spirals' with the options .* has no training "
                                          r"samples"):
        builtin(tmp_path, "{n: 2, classes: 3}", dataset="spirals")
