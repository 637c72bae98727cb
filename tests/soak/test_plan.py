from __future__ import annotations

import pytest

from tests.soak.plan import MAPPED_RUN, expected, runs_for, soak_size


@pytest.mark.parametrize("total", [20, 30, 99, 300, 2000])
def test_runs_add_up_to_the_size_with_every_kind_of_dag(total: int) -> None:
    runs = runs_for(total)
    assert sum(run.size for run in runs) == total
    assert {run.dag_id for run in runs} == {
        "farflow_soak_mapped",
        "farflow_soak_plain",
        "farflow_soak_failing",
        "farflow_soak_retry",
    }
    mapped = [run for run in runs if run.dag_id == "farflow_soak_mapped"]
    assert all(2 <= run.size <= MAPPED_RUN and run.conf == {"count": run.size - 1} for run in mapped)


def test_each_task_asks_for_its_own_end() -> None:
    assert expected("farflow_soak_retry", "flaky", -1) == ("success", 2)
    assert expected("farflow_soak_failing", "exits", -1) == ("failed", 1)
    assert expected("farflow_soak_mapped", "square", 17) == ("failed", 1)
    assert expected("farflow_soak_mapped", "square", 18) == ("success", 1)
    assert expected("farflow_soak_mapped", "numbers", -1) == ("success", 1)


def test_size_comes_from_the_variable() -> None:
    assert soak_size({}) == 200
    assert soak_size({"FARFLOW_SOAK_TASKS": "2000"}) == 2000
    with pytest.raises(ValueError, match="FARFLOW_SOAK_TASKS"):
        soak_size({"FARFLOW_SOAK_TASKS": "5"})
