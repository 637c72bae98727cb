"""The worker pool behind the `worker` executor alias: Edge workers that scale on CPU.

Edge workers poll the api-server's Edge API over HTTP for jobs (no broker), so the pool is a plain
Fargate service of the WORKER component with target-tracking autoscaling. Its container runs
`python -m farflow.worker`, so scale-in and deploys drain a worker instead of killing its jobs, and a
busy worker holds ECS task scale-in protection (farflow.worker). Only with `[worker] enabled`.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from farflow.deploy.config import ServiceSize, WorkerConfig
from farflow.deploy.containers import AirflowRuntime
from farflow.deploy.network import Placement
from farflow.deploy.services import AirflowService, AirflowServiceProps
from farflow.spec import WORKER


@dataclass(frozen=True)
class WorkerPoolProps:
    config: WorkerConfig
    runtime: AirflowRuntime
    cluster: ecs.ICluster
    placement: Placement


class WorkerPool(Construct):
    """`worker.min_count`..`worker.max_count` Edge workers, tracking `worker.cpu_target_percent`."""

    def __init__(self, scope: Construct, construct_id: str, props: WorkerPoolProps) -> None:
        super().__init__(scope, construct_id)
        config = props.config
        self.workers = AirflowService(
            self,
            "Workers",
            AirflowServiceProps(
                component=WORKER,
                size=ServiceSize(config.cpu, config.memory),
                runtime=props.runtime,
                cluster=props.cluster,
                placement=props.placement,
                desired_count=config.min_count,
            ),
        )
        scaling = self.workers.service.auto_scale_task_count(
            min_capacity=config.min_count, max_capacity=config.max_count
        )
        scaling.scale_on_cpu_utilization(
            "Cpu",
            target_utilization_percent=config.cpu_target_percent,
            scale_in_cooldown=Duration.minutes(5),
            scale_out_cooldown=Duration.minutes(1),
        )
