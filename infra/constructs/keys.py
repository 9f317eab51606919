"""KMS keys for application data: one per ``spec.KEYS`` entry (rotated yearly, kept when the stack goes,
reached by its alias in the stage: ``spec.stage_name``). ``grant`` gives a role exactly ``kms:Encrypt`` or
``kms:Decrypt`` on that key, and only for requests that carry the spec's encryption context key (a secret
sealed for a channel)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import spec
from infra.description import Key, UsesKey

KEY_ACTIONS = {"encrypt": "kms:Encrypt", "decrypt": "kms:Decrypt"}


class Keys(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str = spec.PROD_STAGE) -> None:
        super().__init__(scope, construct_id)
        self.by_id: dict[str, kms.Key] = {
            key.id: kms.Key(
                self,
                f"{key.id}Key",
                alias=spec.stage_name(key.alias, stage),
                description=key.description,
                enable_key_rotation=True,
                # Retained: deleting it would make every sealed secret unreadable.
                removal_policy=RemovalPolicy.RETAIN,
            )
            for key in spec.KEYS
        }

    def key(self, key: Key) -> kms.Key:
        return self.by_id[key.id]

    def grant(self, use: UsesKey, role: iam.IRole) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[KEY_ACTIONS[use.access]],
                resources=[self.key(use.key).key_arn],
                # Only with the context the data is bound to (e.g. {"channel": ...}).
                conditions={"Null": {f"kms:EncryptionContext:{use.context_key}": "false"}},
            )
        )
