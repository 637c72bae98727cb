"""Whether `farflow local run DAG_ID` may trigger, must wait, or fails at once with one message: a DAG that
loaded before and is now broken, deleted or renamed, and a mistyped id, judged from the api-server's
records, its import errors and the dags folder (times: each file's mtime against what Airflow wrote)."""

from __future__ import annotations

from pathlib import Path

from farflow.local.dag_lookup import (
    WRITE_LAG,
    DagFolder,
    DagRecord,
    Found,
    ImportFailure,
    NotFound,
    epoch,
    judge,
    may_define,
    might_hold_dags,
)

DAG_TEXT = "from airflow.sdk import DAG\nwith DAG(dag_id={!r}): pass\n"
BEFORE, EDITED, AFTER = 100.0, 200.0, 300.0  # a parse, the file's last change, a parse after it
TRACE = "Traceback (most recent call last):\n  File x\nModuleNotFoundError: No module named 'nope'"


def folder(**files: float) -> DagFolder:
    """A dags folder whose files (name=mtime) each mention the DAG named after them."""
    names = {name.replace("_py", ".py"): mtime for name, mtime in files.items()}
    texts = {name: DAG_TEXT.format(name.removesuffix(".py")) for name in names}
    return DagFolder(Path("/p/dags"), names, texts)


def message(verdict: Found | NotFound | None) -> str:
    assert isinstance(verdict, NotFound), verdict
    return verdict.message


def test_a_dag_parsed_after_its_files_last_change_is_found() -> None:
    record = DagRecord("etl", "etl.py", parsed_at=AFTER)
    assert judge("etl", [record], [], folder(etl_py=EDITED)) == Found(record)


def test_a_dag_whose_file_changed_since_its_last_parse_waits_for_the_next() -> None:
    record = DagRecord("etl", "etl.py", parsed_at=BEFORE)
    assert judge("etl", [record], [], folder(etl_py=EDITED)) is None


def test_a_dag_that_loaded_before_and_now_fails_to_import_quotes_the_error() -> None:
    # What Airflow leaves: the old record, stale and flagged, and the file's import error.
    record = DagRecord("etl", "etl.py", stale=True, import_errors=True, parsed_at=BEFORE)
    failure = ImportFailure("etl.py", AFTER, TRACE)
    text = message(judge("etl", [record], [failure], folder(etl_py=EDITED)))
    assert text.startswith("DAG 'etl' failed to import. Fix the file and run again:")
    assert "/p/dags/etl.py" in text and "No module named 'nope'" in text
    assert len(text.splitlines()) <= 8  # one short block, not the whole traceback


def test_an_import_error_older_than_the_files_last_change_waits_for_the_next_parse() -> None:
    record = DagRecord("etl", "etl.py", stale=True, import_errors=True, parsed_at=BEFORE)
    failure = ImportFailure("etl.py", BEFORE + 1, TRACE)  # the user has saved the file since: fixed?
    assert judge("etl", [record], [failure], folder(etl_py=EDITED)) is None


def test_a_dag_whose_file_was_deleted_fails_at_once_listing_the_dags_there() -> None:
    records = [DagRecord("etl", "etl.py", parsed_at=BEFORE), DagRecord("load", "load.py", parsed_at=AFTER)]
    text = message(judge("etl", records, [], folder(load_py=EDITED)))
    assert "/p/dags/etl.py, which no longer exists" in text
    assert "DAGs there: load." in text


def test_a_renamed_dag_fails_once_its_file_is_parsed_naming_the_new_id() -> None:
    # The file now defines etl_v2: Airflow wrote etl_v2 after the change, and etl only before it (it
    # marks etl stale only a minute or so later).
    records = [DagRecord("etl", "etl.py", parsed_at=BEFORE), DagRecord("etl_v2", "etl.py", parsed_at=AFTER)]
    files = folder(etl_py=EDITED)
    text = message(judge("etl", records, [], files))
    assert "DAG 'etl' is no longer defined in /p/dags/etl.py (renamed or removed)" in text
    assert "Did you mean 'etl_v2'?" in text and "DAGs there: etl_v2." in text
    # Before the dag-processor has parsed the edit, it waits (etl is still what Airflow knows).
    assert judge("etl", records[:1], [], files) is None


def test_a_mistyped_id_fails_once_every_file_is_parsed_and_blames_no_unrelated_import_error() -> None:
    records = [DagRecord("sample_dag", "sample_dag.py", parsed_at=AFTER)]
    failures = [ImportFailure("broken.py", AFTER, TRACE)]
    files = folder(sample_dag_py=EDITED, broken_py=EDITED)
    text = message(judge("sampel_dag", records, failures, files))
    assert text.startswith("No DAG 'sampel_dag' in /p/dags.")
    assert "Did you mean 'sample_dag'?" in text and "DAGs there: sample_dag." in text
    assert "failed to import" not in text and "No module named" not in text
    assert "Files that fail to import (their DAGs are not listed): /p/dags/broken.py." in text


def test_a_mistyped_id_waits_while_a_file_is_not_parsed_yet() -> None:
    records = [DagRecord("sample_dag", "sample_dag.py", parsed_at=AFTER)]
    assert judge("sampel_dag", records, [], folder(sample_dag_py=EDITED, new_py=EDITED)) is None


def test_a_dag_never_loaded_is_blamed_on_the_import_error_of_the_file_that_names_it() -> None:
    failures = [ImportFailure("other.py", AFTER, "other trace"), ImportFailure("etl.py", AFTER, TRACE)]
    text = message(judge("etl", [], failures, folder(etl_py=EDITED, other_py=EDITED)))
    assert "DAG 'etl' failed to import" in text and "/p/dags/etl.py" in text
    assert "other trace" not in text


def test_without_a_folder_a_loaded_record_is_found_and_a_stale_one_waits() -> None:
    assert judge("etl", [DagRecord("etl", "etl.py")], [], None) == Found(DagRecord("etl", "etl.py"))
    assert judge("etl", [DagRecord("etl", "etl.py", stale=True)], [], None) is None
    failure = ImportFailure("etl.py", None, TRACE)
    assert "failed to import" in message(judge("etl", [], [failure], None, hint="etl.py"))
    assert judge("etl", [], [failure], None) is None  # never blamed on a file it cannot tie to the id


def test_the_folder_scan_keeps_what_airflow_would_parse(tmp_path: Path) -> None:
    (tmp_path / "dag.py").write_text(DAG_TEXT.format("a"))
    (tmp_path / "helper.py").write_text("def add(a, b):\n    return a + b\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "dag.cpython-311.pyc").write_bytes(b"airflow dag")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.py").write_text(DAG_TEXT.format("b"))
    scanned = DagFolder.scan(tmp_path)
    assert set(scanned.texts) == {"dag.py", "sub/more.py"}
    assert set(scanned.mtimes) == {"dag.py", "helper.py", "sub/more.py"}
    assert scanned.mtime("sub/more.py") == (tmp_path / "sub" / "more.py").stat().st_mtime
    assert might_hold_dags(b"from airflow.sdk import Asset") and not might_hold_dags(b"dag = 1")


def test_api_timestamps_read_as_epoch_seconds() -> None:
    assert epoch("1970-01-01T00:01:40Z") == 100.0
    assert epoch("1970-01-01T00:01:40.500000+00:00") == 100.5
    assert epoch(None) is None and epoch("yesterday") is None


def test_a_record_counts_from_when_its_parse_began() -> None:
    # Airflow stamps the record after the parse: a file saved during the parse is not what it read.
    raw = {"dag_id": "etl", "relative_fileloc": "etl.py", "last_parsed_time": "1970-01-01T00:05:00Z"}
    assert DagRecord.from_api({**raw, "last_parse_duration": 2.5}).parsed_at == 300.0 - 2.5 - WRITE_LAG
    assert DagRecord.from_api(raw).parsed_at == 300.0 - WRITE_LAG
    saved_during_the_parse = folder(etl_py=299.0)
    assert (
        judge("etl", [DagRecord.from_api({**raw, "last_parse_duration": 2.5})], [], saved_during_the_parse)
        is None
    )


def test_a_file_may_define_an_id_it_quotes_or_names_a_dag_function_after() -> None:
    assert may_define('DAG(dag_id="etl")', "etl") and may_define("DAG('etl')", "etl")
    assert may_define("@dag(schedule=None)\ndef etl():\n    pass", "etl")
    assert not may_define("# load the details of the etl job\nDAG('details')", "etl")
    assert not may_define('DAG("etl_v2")', "etl")
