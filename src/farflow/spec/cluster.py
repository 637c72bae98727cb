"""What the cluster offers tasks: both platforms associate the same capacity providers with it.

ECS refuses a RunTask whose capacity provider strategy names a provider the cluster lacks
(InvalidParameterException, "The specified capacity provider strategy cannot contain a capacity provider
that is not associated with the cluster..."); FARGATE and FARGATE_SPOT "are available to all accounts and
only need to be associated with a cluster to be used" (ECS API reference, CreateCluster,
capacityProviders). The deploy associates them (AWS::ECS::ClusterCapacityProviderAssociations), the
local endpoint's cluster is created with them, and the local endpoint refuses any other provider the way
ECS does, so `executor_config={"spot": True}` behaves the same on both.
"""

from __future__ import annotations

FARGATE_PROVIDER = "FARGATE"
FARGATE_SPOT_PROVIDER = "FARGATE_SPOT"
CAPACITY_PROVIDERS = (FARGATE_PROVIDER, FARGATE_SPOT_PROVIDER)
"""The capacity providers every cluster farflow runs has, and the only ones farflow knows as Fargate."""

NOT_ASSOCIATED = (
    "The specified capacity provider strategy cannot contain a capacity provider that is not associated "
    "with the cluster. Associate the capacity provider with the cluster or specify a valid capacity "
    "provider and try again."
)
"""ECS's RunTask message (InvalidParameterException) for a provider the cluster lacks."""
