"""The deployed stack's outputs: how the operator's commands (``infra.keys``, ``oms``) find its tables, queues
and usage plans in AWS. No CDK import: the commands start fast and need only boto3."""

from __future__ import annotations

from typing import Any

STACK_NAME = "OmsStack"  # prod's; another stage's is OmsStack-{stage} (infra.stack.stack_name)


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The stack's outputs, by name; a ValueError naming the stack when it cannot be read."""
    from botocore.exceptions import ClientError

    try:
        [stack] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:  # no such stack, in this account and region
        raise ValueError(f"stack {stack_name}: {exc.response['Error'].get('Message', exc)}") from exc
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
