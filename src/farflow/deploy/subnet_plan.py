"""The VPC's subnet plan: which subnet groups, how large, and where each subnet's block falls.

One plan whatever `[network] nat_gateways` says. CloudFormation replaces an AWS::EC2::Subnet whose
CidrBlock changes (CloudFormation User Guide, AWS::EC2::Subnet, CidrBlock: "Update requires:
Replacement"), and RDS refuses a change that moves a live instance's DB subnet group off the subnets it
runs in (ModifyDBSubnetGroup), so such an update fails with the database in the middle. The database
subnets' blocks and logical ids must therefore never depend on NAT. The
private group is therefore always planned: with `nat_gateways = 0` it is only *reserved* (CDK's
`SubnetConfiguration.reserved`: the address space is kept, no subnet is created), so the groups after
it land on the same blocks with 0, 1 or 2 NAT gateways.

Sizes are relative to the VPC's prefix (a /16 gives public /22, private /20, database /24), so every
VPC from /16 to /20 fits; smaller ones would need database subnets under AWS's smallest, /28.
`subnet_blocks` computes the blocks the way CDK's `IpAddresses.cidr` allocates them (in plan order,
one per Availability Zone, each aligned to its size); a test checks it against a synthesized template.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import Enum

AVAILABILITY_ZONES = 2
# AWS's bounds on a VPC's block and on a subnet's (VPC User Guide, "VPC CIDR blocks").
LARGEST_VPC = 16
SMALLEST_SUBNET = 28


class Tier(Enum):
    PUBLIC = "public"
    PRIVATE = "private"  # with egress through NAT; reserved when there is no NAT gateway
    DATABASE = "database"  # isolated


@dataclass(frozen=True)
class SubnetGroup:
    """One subnet per Availability Zone, `extra_bits` longer a prefix than the VPC's."""

    name: str
    tier: Tier
    extra_bits: int

    def prefix(self, vpc_prefix: int) -> int:
        return vpc_prefix + self.extra_bits


# Order matters: blocks are allocated in this order, so it never changes (nor do the sizes).
PLAN = (
    SubnetGroup("Public", Tier.PUBLIC, 6),
    SubnetGroup("Private", Tier.PRIVATE, 4),
    SubnetGroup("Database", Tier.DATABASE, 8),
)
SMALLEST_VPC = SMALLEST_SUBNET - max(group.extra_bits for group in PLAN)
VPC_PREFIXES = (LARGEST_VPC, SMALLEST_VPC)


def subnet_blocks(cidr: str, zones: int = AVAILABILITY_ZONES) -> dict[str, list[str]]:
    """Each group's subnet blocks, one per zone, as CDK allocates them; ValueError if they do not fit."""
    vpc = ipaddress.IPv4Network(cidr)
    if not LARGEST_VPC <= vpc.prefixlen <= SMALLEST_VPC:
        raise ValueError(f"{cidr} is not a /{LARGEST_VPC} to /{SMALLEST_VPC} block")
    blocks: dict[str, list[str]] = {}
    next_address = int(vpc.network_address)
    for group in PLAN:
        size = 2 ** (32 - group.prefix(vpc.prefixlen))
        blocks[group.name] = []
        for _ in range(zones):
            start = -(-next_address // size) * size  # aligned up to the subnet's size
            subnet = ipaddress.IPv4Network((start, group.prefix(vpc.prefixlen)))
            if not subnet.subnet_of(vpc):
                raise ValueError(f"{group.name} subnets do not fit in {cidr}")
            blocks[group.name].append(str(subnet))
            next_address = start + size
    return blocks


def public_blocks(cidr: str) -> list[str]:
    """The public subnets' blocks: where the internet-facing load balancer's nodes have their addresses."""
    blocks = subnet_blocks(cidr)
    return [block for group in PLAN if group.tier is Tier.PUBLIC for block in blocks[group.name]]


def plan_problem(prefixlen: int) -> str | None:
    """None when a VPC of this prefix length holds the plan; else why not, and what to write."""
    if LARGEST_VPC <= prefixlen <= SMALLEST_VPC:
        return None
    if prefixlen < LARGEST_VPC:
        reason = f"AWS allows no VPC block larger than /{LARGEST_VPC}"
    else:
        database = next(group for group in PLAN if group.tier is Tier.DATABASE)
        reason = (
            f"the subnets of two Availability Zones need at least a /{SMALLEST_VPC} (in a /{prefixlen} the "
            f"database subnets would be /{database.prefix(prefixlen)}, smaller than AWS's smallest, "
            f"/{SMALLEST_SUBNET})"
        )
    return f"give a block from /{LARGEST_VPC} to /{SMALLEST_VPC}: {reason}"
