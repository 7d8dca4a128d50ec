"""CSV files as people export them: `;` or tab, UTF-8 with a BOM or cp1252, read without a
setting, and what was used said; a wrong setting is a message naming the key."""

import pytest
from click.testing import CliRunner

from sheetfunnel.backends.csv import read_sniffed
from sheetfunnel.cli import cli
from sheetfunnel.csvsniff import sniff
from sheetfunnel.errors import InputError

ROWS = "E-mail;Nom;Société;Effectif\nana@x.fr;Ana Léger;Crème & Cie;1 200\nbo@y.fr;Bo;Été;12\n"


@pytest.mark.parametrize(
    ("encoding", "delimiter", "expected"),
    [
        ("utf-8", ";", "semicolon-separated, UTF-8"),
        ("utf-8-sig", ";", "semicolon-separated, UTF-8 with BOM"),
        ("cp1252", ";", "semicolon-separated, cp1252 (Windows Latin-1)"),
        ("cp1252", "\t", "tab-separated, cp1252 (Windows Latin-1)"),
        ("utf-8", ",", "comma-separated, UTF-8"),
    ],
)
def test_delimiter_and_encoding_are_detected(tmp_path, encoding, delimiter, expected):
    path = tmp_path / "contacts.csv"
    path.write_bytes(ROWS.replace(";", delimiter).encode(encoding))
    frame, dialect = read_sniffed(path)
    assert dialect.describe() == expected
    assert list(frame.columns) == ["E-mail", "Nom", "Société", "Effectif"]
    assert frame.loc[2, "Société"] == "Crème & Cie" and frame.loc[3, "Société"] == "Été"


def test_configured_values_win_and_a_wrong_delimiter_names_the_key(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("a;b\n1;2,3,4\n", encoding="utf-8")
    assert sniff(path, delimiter=";", encoding="utf-8").detected_delimiter is False
    with pytest.raises(InputError) as info:
        read_sniffed(path, delimiter=",")
    assert str(info.value) == (
        f"{path}: line 2 has 3 cells where the lines above have 1, split on ',' (set in "
        "source.csv_delimiter). Set source.csv_delimiter in the [source] section of the config "
        "to the character between its cells, or quote the cells that hold it"
    )


def test_a_wrong_encoding_names_the_key(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(ROWS.encode("cp1252"))
    with pytest.raises(InputError) as info:
        read_sniffed(path, encoding="utf-8")
    assert str(info.value) == (
        f"{path}: not utf-8 text; set source.csv_encoding in the [source] section of the "
        'config (e.g. "cp1252" for an Excel export on Windows), or leave it "" to detect it'
    )


def test_score_says_how_it_read_the_file_and_writes_for_french_excel(tmp_path):
    (tmp_path / "contacts.csv").write_bytes(ROWS.encode("cp1252"))
    (tmp_path / "sheetfunnel.toml").write_text(
        '[source]\nactivities_tab = ""\ndecimal = ","\n[columns]\nkey = "E-mail"\n'
        'company_size = "Effectif"\n'
    )
    out = tmp_path / "results.csv"
    result = CliRunner().invoke(
        cli, ["score", str(tmp_path / "contacts.csv"), "--as-of", "2026-06-30", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "Note: read contacts.csv as semicolon-separated, cp1252 (Windows Latin-1) (detected; set "
        "source.csv_delimiter and source.csv_encoding to choose)" in result.output
    )
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfkey;fit;engagement;score;stage;")
    assert "\nbo@y.fr;5,0;0,0;5,0;Lead;" in data.decode("utf-8-sig")
    again = CliRunner().invoke(cli, ["score", str(tmp_path / "contacts.csv"), "--out", str(out)])
    assert again.exit_code == 0, again.output  # the file is known as ours: replaced
