"""Fargate's table of task sizes, and the nearest valid size for any request."""

from __future__ import annotations

import pytest

from farflow.executor.request import InvalidTaskRequest
from farflow.executor.request.build import check_fargate_size
from farflow.spec.fargate_sizes import FARGATE_SIZES, nearest_fargate_size


def test_the_fargate_table_has_every_valid_pair() -> None:
    steps = {256: None, 512: 1024, 1024: 1024, 2048: 1024, 4096: 1024, 8192: 4096, 16384: 8192}
    ranges = {256: (512, 2048), 512: (1024, 4096), 1024: (2048, 8192), 2048: (4096, 16384)}
    ranges |= {4096: (8192, 30720), 8192: (16384, 61440), 16384: (32768, 122880)}
    expected = {(256, 512), (256, 1024), (256, 2048)}
    for cpu, step in steps.items():
        if step:
            low, high = ranges[cpu]
            expected |= {(cpu, memory) for memory in range(low, high + 1, step)}
    assert set(FARGATE_SIZES) == expected
    for cpu, memory in FARGATE_SIZES:
        check_fargate_size(cpu, memory)  # valid pairs pass
        assert nearest_fargate_size(cpu, memory) == (cpu, memory)


@pytest.mark.parametrize(
    ("cpu", "memory", "nearest"),
    [
        pytest.param(1, 1, (256, 512), id="tiny"),
        pytest.param(256, 1536, (256, 2048), id="between-steps"),
        pytest.param(257, 512, (512, 1024), id="just-over-a-cpu"),
        pytest.param(512, 5000, (1024, 5120), id="memory-needs-more-cpu"),
        pytest.param(99999, 1, (16384, 122880), id="largest"),
    ],
)
def test_nearest_is_the_smallest_pair_with_at_least_the_request(
    cpu: int, memory: int, nearest: tuple[int, int]
) -> None:
    assert nearest_fargate_size(cpu, memory) == nearest
    if nearest != (cpu, memory):
        with pytest.raises(InvalidTaskRequest, match=f"cpu={nearest[0]}, memory={nearest[1]}"):
            check_fargate_size(cpu, memory)
