"""Data files -> named columns: ``read_table`` reads a .npz (named arrays) or .csv file (a header
row of names; a byte-order mark and ``,``, ``;`` or tab delimiters accepted) and raises
``DataFileError`` for anything it cannot use (unreadable, damaged, empty, text, missing values),
naming the file and, for a CSV, the line."""
import csv
import io
import os

from .. import backend as B

xp = B.xp

# The delimiters a CSV header line is searched for (the most frequent one wins).
CSV_DELIMITERS = (",", ";", "\t")


class DataFileError(ValueError):
    """A data file that cannot be used: unreadable, damaged, empty, not numbers, or NaN where it is
    used. The message starts with the file's name as the user gave it."""


class Table(dict):
    """Named columns read from a file (a plain dict to every reader); ``lines[i]`` is the line of the
    file that holds row i for a CSV file (blank lines and the header make it differ from i), else None."""

    def __init__(self, columns, lines=None):
        super().__init__(columns)
        self.lines = lines


def more_text(count, unit="row"):
    """' (and 3 more rows)' after the first of several problems, or ''."""
    if count <= 0:
        return ""
    return f" (and {count} more {unit}{'s' if count > 1 else ''})"


def column_word(shown):
    return "array" if str(shown).lower().endswith(".npz") else "column"


def read_table(path, shown):
    """Named arrays from a .npz or .csv file (CSV: a header row of names, numbers below).

    Returns a ``Table`` (a dict of name -> array; ``lines`` maps a CSV row to its line in the
    file). Every problem with the file raises ``DataFileError`` whose message starts with
    ``shown``: unreadable, damaged, not UTF-8, no rows, text or objects instead of numbers,
    missing values, rows of the wrong length. NaN and infinities are read as they are
    (``check_finite`` checks the columns that are used).
    """
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npz":
        return _read_npz(path, shown)
    if suffix == ".csv":
        return _read_csv(path, shown)
    raise DataFileError(f"{shown}: data files must be .npz or .csv")


def _read_bytes(path, shown, size=-1):
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as error:
        raise DataFileError(f"{shown} cannot be read: {error.strerror or error}") from None


# .npz files

def _read_npz(path, shown):
    start = _read_bytes(path, shown, 8)
    if not start:
        raise DataFileError(f"{shown} is empty (0 bytes); an .npz file holds arrays saved by numpy.savez")
    if start.startswith(b"\x93NUMPY"):
        raise DataFileError(f"{shown} holds a single .npy array, not an .npz archive of named arrays; "
                            f"save them with numpy.savez(path, x=..., y=...)")
    if not start.startswith(b"PK"):
        raise DataFileError(f"{shown} is not an .npz archive (it is not a zip file); "
                            f"save the arrays with numpy.savez(path, x=..., y=...)")
    try:
        archive = xp.load(path, allow_pickle=False)
    except Exception as error:  # noqa: BLE001 - a damaged zip raises many types (BadZipFile, EOFError, ...)
        raise DataFileError(f"{shown} is damaged or truncated ({type(error).__name__}: {error}); "
                            f"write it again") from None
    if not isinstance(archive, xp.lib.npyio.NpzFile):
        raise DataFileError(f"{shown} is not an .npz archive of named arrays")
    with archive:
        if not archive.files:
            raise DataFileError(f"{shown} holds no arrays")
        return Table({name: _npz_array(archive, name, shown) for name in archive.files})


def _npz_array(archive, name, shown):
    try:
        array = archive[name]
    except ValueError as error:
        if "allow_pickle" in str(error) or "Object arrays" in str(error):
            raise DataFileError(f"{shown}: array '{name}' holds Python objects (an object array, not loaded "
                                f"for safety); it must hold numbers: save a numeric array") from None
        raise DataFileError(f"{shown}: array '{name}' is damaged ({error}); write the file again") from None
    except Exception as error:  # noqa: BLE001 - numpy's reader raises many types for a damaged member
        raise DataFileError(f"{shown}: array '{name}' is damaged ({type(error).__name__}: {error}); "
                            f"write the file again") from None
    if not isinstance(array, xp.ndarray):
        raise DataFileError(f"{shown}: '{name}' is not a numpy array (the archive holds other files); "
                            f"save only arrays, with numpy.savez")
    _check_array(array, name, shown)
    return array


def _check_array(array, name, shown):
    """An .npz array must hold numbers, one row per sample, and at least one row."""
    if array.dtype.kind in "US":
        raise DataFileError(f"{shown}: array '{name}' holds text (dtype {array.dtype}); it must hold numbers "
                            f"(class labels as 0, 1, 2, ...)")
    if array.dtype.kind not in "iufb":
        raise DataFileError(f"{shown}: array '{name}' holds {array.dtype} values; it must hold numbers")
    if array.ndim == 0:
        raise DataFileError(f"{shown}: array '{name}' is a single value; it must have one row per sample")
    if len(array) == 0:
        raise DataFileError(f"{shown}: array '{name}' has no rows (shape {array.shape})")


# .csv files

def _read_csv(path, shown):
    text = _decode(_read_bytes(path, shown), shown)
    header_text = next((line for line in text.splitlines() if line.strip()), None)
    if header_text is None:
        raise DataFileError(f"{shown} has no rows: the file is empty (a CSV file needs a header line of "
                            f"column names, then one line of numbers per sample)")
    delimiter = _delimiter(header_text)
    records = _csv_records(text, delimiter, shown)
    (header_line, header), rows = records[0], records[1:]
    names = _header_names(header, header_line, shown)
    if not rows:
        raise DataFileError(f"{shown} has no rows: it holds only the header line ({', '.join(names)})")
    for line, fields in rows:
        if len(fields) != len(names):
            raise DataFileError(_field_count_message(shown, line, len(fields), names, delimiter))
    lines = xp.array([line for line, _ in rows], dtype=xp.int64)
    columns = {name: _csv_column(name, [fields[i] for _, fields in rows], lines, shown, delimiter)
               for i, name in enumerate(names)}
    return Table(columns, lines)


def _decode(raw, shown):
    """The file's text; a UTF-8 byte-order mark (Excel writes one) is dropped."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        hint = " (it looks like UTF-16)" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise DataFileError(f"{shown} is not UTF-8 text{hint}: byte 0x{raw[error.start]:02x} on line {line} "
                            f"is not valid UTF-8; save the file as UTF-8") from None


def _delimiter(header_text):
    """The delimiter the header line uses most; ',' for a header of one column."""
    best = max(CSV_DELIMITERS, key=header_text.count)
    return best if header_text.count(best) else ","


def _csv_records(text, delimiter, shown):
    """(line number, fields) of every line that is not blank."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        for fields in reader:
            blank = not fields or (len(fields) == 1 and not fields[0].strip())
            if not blank:
                records.append((reader.line_num, fields))
    except csv.Error as error:
        raise DataFileError(f"{shown}: line {reader.line_num} cannot be read as CSV: {error}") from None
    return records


def _header_names(header, line, shown):
    names = [field.strip() for field in header]
    for index, name in enumerate(names):
        if not name:
            raise DataFileError(f"{shown}: column {index + 1} of the header line (line {line}) has no name; "
                                f"every column needs a name")
        if name in names[:index]:
            raise DataFileError(f"{shown}: the header line (line {line}) names column '{name}' twice")
    return names


def _field_count_message(shown, line, count, names, delimiter):
    message = (f"{shown}: line {line} has {count} field{'s' if count != 1 else ''} but the header line has "
               f"{len(names)} column{'s' if len(names) != 1 else ''} ({', '.join(names)})")
    if len(names) == 1:
        return message + "; the header line holds no ',', ';' or tab, so the file is read as one column"
    shown_delimiter = "tabs" if delimiter == "\t" else f"'{delimiter}'"
    return message + f"; the fields are separated by {shown_delimiter} (as in the header line)"


def _parse_numbers(values):
    """int64 when every value is a whole number written without a point, else float64;
    ValueError when a value is not a number ('nan' and 'inf' are numbers here)."""
    try:
        return xp.array([int(value) for value in values], dtype=xp.int64)
    except (ValueError, OverflowError):
        return xp.array([float(value) for value in values], dtype=xp.float64)


def _is_number(value):
    try:
        float(value)
        return True
    except ValueError:
        return False


def _csv_column(name, fields, lines, shown, delimiter):
    values = [field.strip() for field in fields]
    empty = [line for value, line in zip(values, lines) if not value]
    if empty:
        raise DataFileError(f"{shown}: column '{name}' has an empty field (a missing value) at line {empty[0]}"
                            f"{more_text(len(empty) - 1)}; fill it in or drop the row")
    try:
        return _parse_numbers(values)
    except ValueError:
        pass
    if {value.lower() for value in values} <= {"true", "false"}:
        return xp.array([value.lower() == "true" for value in values])
    value, line = next((v, line) for v, line in zip(values, lines) if not _is_number(v))
    hint = "; write decimals with a point (1.5, not 1,5)" if "," in value and delimiter != "," else ""
    raise DataFileError(f"{shown}: column '{name}' is not numeric (e.g. {value!r} at line {line}){hint}")
