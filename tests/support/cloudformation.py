"""A synthesized template's values made concrete, as CloudFormation would in one account and Region.

Enough of CloudFormation's intrinsic functions for policies and environment variables: Ref (pseudo
parameters, and a resource's name or logical id), Fn::GetAtt .Arn (IAM roles, S3 buckets, or an ARN the
test supplies, e.g. a KMS key made on moto; other attributes get a stand-in), Fn::Join, Fn::Sub, Fn::Select and Fn::Split.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_SUB = re.compile(r"\$\{([^}]+)\}")


@dataclass
class Resolver:
    template: Mapping[str, Any]
    account: str
    region: str
    arns: dict[str, str] = field(default_factory=dict)
    """Logical id to ARN, for resources whose ARN the test knows (a key created on moto)."""

    @property
    def resources(self) -> Mapping[str, Any]:
        return self.template["Resources"]

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "farflow",
        }
        if name in pseudo:
            return pseudo[name]
        resource = self.resources.get(name, {})
        if resource.get("Type") == "AWS::S3::Bucket" and "BucketName" in resource.get("Properties", {}):
            return str(self(resource["Properties"]["BucketName"]))
        return name

    def arn(self, name: str) -> str:
        if name in self.arns:
            return self.arns[name]
        kind = self.resources[name]["Type"]
        if kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{self.account}:role/{name}"
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{self.ref(name)}"
        # Any other resource: a stand-in ARN of its service, named by its logical id.
        service = kind.split("::")[1].lower()
        return f"arn:aws:{service}:{self.region}:{self.account}:{name}"

    def attribute(self, name: str, attribute: str) -> str:
        """An ARN, or for any other attribute (a security group's id, a queue's URL) a stand-in."""
        return self.arn(name) if attribute == "Arn" else f"{name}.{attribute}"

    def _sub(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if "." in name:
                resource, attribute = name.split(".", 1)
                return self.attribute(resource, attribute)
            return self.ref(name)

        return _SUB.sub(one, text)

    def __call__(self, value: Any) -> Any:
        """`value` with every intrinsic function replaced by its concrete value."""
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return self.ref(argument)
            if function == "Fn::GetAtt":
                return self.attribute(*argument)
            if function == "Fn::Join":
                separator, parts = argument
                return str(separator).join(str(self(part)) for part in parts)
            if function == "Fn::Sub":
                return self._sub(argument if isinstance(argument, str) else argument[0])
            if function == "Fn::Select":
                index, items = argument
                return self(items)[int(index)]
            if function == "Fn::Split":
                separator, text = argument
                return str(self(text)).split(separator)
        return {key: self(item) for key, item in value.items()}
